#include "terminal/lane/customer_record.hpp"

namespace loyalty::terminal {

std::string CustomerRecord::display_name() const {
    std::string name = given_name;
    if (!family_name.empty()) {
        if (!name.empty()) name += ' ';
        name += family_name.front();
        name += '.';
    }
    return name;
}

}  // namespace loyalty::terminal
