#include "domain/offers/customer_record.hpp"

#include "domain/contact.hpp"

namespace loyalty::domain {

std::string CustomerRecord::display_name() const {
    if (given_name.empty() && family_name.empty()) return shown_name;
    return domain::display_name(given_name, family_name);
}

}  // namespace loyalty::domain
