// Checks an offer from the catalog (head office, or `loyaltyctl offers import`) before the till
// uses it: a malformed offer is refused with the reason, never half-applied at a checkout.
#pragma once

#include <string>

#include "loyalty/v1/catalog.pb.h"

namespace loyalty::domain::offers {

// Empty when `offer` is usable at a till selling in `currency`; otherwise the reason, naming the
// offer and the field: "offer SAVE10: percent_off.basis_points must be 1..10000, got 0".
std::string validate_offer(const v1::Offer& offer, const std::string& currency);

// Empty when the rules make sense; otherwise the reason.
std::string validate_points_rules(const v1::PointsRules& rules);

}  // namespace loyalty::domain::offers
