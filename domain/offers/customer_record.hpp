// What the till knows about the shopper behind a card: a customer from head office's cache, one
// enrolled at this till, or an anonymous member (a chain card nobody has enrolled yet: it earns,
// and the sale is linked to the card).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "loyalty/v1/common.pb.h"

namespace loyalty::domain {

struct CustomerRecord {
    std::string customer_id;  // empty for an anonymous member card
    std::string loyalty_card;
    std::string given_name;   // customers enrolled at this till
    std::string family_name;  // (their full name stays here until head office's record replaces it)
    std::string shown_name;   // customers from head office: the display name it sent
    int birthday_month = 0;   // 1..12, 0 unknown
    v1::Tier tier = v1::TIER_UNSPECIFIED;
    std::string segment;
    std::int64_t points_balance = 0;  // head office's balance, as cached
    std::int64_t points_pending = 0;  // redeemed at this till, not yet acknowledged by head office
    bool blocked = false;
    bool profiling_consent = false;
    std::vector<std::string> assigned_offers;          // offers head office assigned to this customer
    std::map<std::string, std::uint32_t> redemptions;  // offer id -> baskets it applied to so far

    bool anonymous() const { return customer_id.empty(); }
    std::int64_t points_available() const { return points_balance - points_pending; }
    // "Jane D." — what the cashier's screen shows.
    std::string display_name() const;
};

}  // namespace loyalty::domain
