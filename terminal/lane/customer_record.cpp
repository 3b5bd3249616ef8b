#include "terminal/lane/customer_record.hpp"

#include "common/contact/contact.hpp"

namespace loyalty::terminal {

std::string CustomerRecord::display_name() const {
    if (given_name.empty() && family_name.empty()) return shown_name;
    return loyalty::display_name(given_name, family_name);
}

}  // namespace loyalty::terminal
