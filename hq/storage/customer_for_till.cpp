#include "hq/storage/customer_for_till.hpp"

#include "domain/contact.hpp"

namespace loyalty::hq {

v1::Customer customer_for_till(v1::Customer full, std::string_view contact_key) {
    v1::Customer till = std::move(full);
    const v1::ContactDetails contact = till.contact();
    till.clear_contact();
    till.set_display_name(domain::display_name(contact.given_name(), contact.family_name()));
    if (contact.has_birthday()) {
        till.set_birthday_month(static_cast<std::uint32_t>(contact.birthday().month()));
        till.set_birthday_day(static_cast<std::uint32_t>(contact.birthday().day()));
    }
    if (const auto phone = domain::normalize_phone(contact.phone()))
        till.set_phone_key(domain::contact_lookup_key(contact_key, domain::ContactKind::phone, *phone));
    if (const auto email = domain::normalize_email(contact.email()))
        till.set_email_key(domain::contact_lookup_key(contact_key, domain::ContactKind::email, *email));
    return till;
}

}  // namespace loyalty::hq
