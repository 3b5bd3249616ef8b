// CustomerDirectory: the till's lookups in its customer cache (customers and customer_cards
// tables of the local store): by card when a card is read, by phone or e-mail when the shopper
// forgot the card. Reads only; customers are written by enrollment (LocalStore) and by catalog
// deltas from head office (sync).
//
// Same thread contract as the LocalStore whose database it reads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/contact.hpp"
#include "domain/offers/customer_record.hpp"
#include "terminal/store/local_store.hpp"

namespace loyalty::terminal {

class CustomerDirectory {
public:
    explicit CustomerDirectory(LocalStore& store) : store_(store) {}

    // The customer holding this card (blocked cards included, flagged), or nullopt when the card is
    // not in the cache.
    std::optional<domain::CustomerRecord> find_by_card(std::string_view loyalty_card);
    // Exact matches: the phone in E.164 ("+4930123456"), the e-mail case-insensitively; customers
    // enrolled elsewhere by the keyed hash of the normalised value (domain/contact.hpp).
    std::vector<domain::CustomerRecord> find_by_phone(std::string_view phone);
    std::vector<domain::CustomerRecord> find_by_email(std::string_view email);

private:
    std::vector<domain::CustomerRecord> find(std::string_view where_sql, std::string_view key,
                                             std::string_view hashed = {});
    std::int64_t pending_redemptions(const std::string& customer_id);

    LocalStore& store_;
};

}  // namespace loyalty::terminal
