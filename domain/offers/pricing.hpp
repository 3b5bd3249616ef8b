// The offer and points engine's pure core (spec §3.3): a basket, the shopper and the candidate
// offers in; discount lines, points and next-visit coupons out. No I/O, no clock: the caller
// passes the store-local time.
//
// Rules, in the order they are applied:
//   1. Eligibility: audience (everyone / members with a chain card / customers the offer was
//      assigned to), segments, tiers, birthday month, stores, validity in store-local time (start
//      inclusive, end exclusive, days of week, daily hours; hours may wrap midnight), per-customer
//      limit (redemptions so far, from local state), single-use code (presented at the till).
//   2. Item-level offers (percent / amount off items or departments, multi-buy, buy X get Y, free
//      item). A unit takes one item-level discount unless an offer stacks_on_item_discounts; a
//      discount never exceeds what is left of a unit's price. Offers that compete for units (or
//      share an exclusivity group) are solved together (docs/offers.md "Best deal"): per-unit
//      offers unit by unit; small problems exactly; up to 8 group offers over every order of
//      applying them; more greedily (largest saving first, repeatedly; not guaranteed optimal).
//      Best = largest saving; ties go to the higher summed Stacking.priority, then to fewer
//      offers, then to the alphabetically first offer ids.
//   3. Basket-level offers (whole-basket percent / amount, thresholds on spend after item-level
//      discounts), largest saving first, never taking the basket below zero; one per
//      exclusivity group.
//   4. Points redemption: a discount line "points" of points x point value, capped at what is left.
//   5. Points: floor(payable x points per currency unit / 10^exponent), times the tier multiplier
//      (floored), plus offer bonuses and multipliers on the lines they name.
//   6. Next-visit coupons for triggers met.
// Rounding: a percentage of an amount is rounded half up per unit; everything else is integer.
// Invariant: sum(line totals) - sum(discounts) = payable >= 0.
#pragma once

#include <date/date.h>
#include <string>
#include <vector>

#include "domain/offers/customer_record.hpp"
#include "domain/offers/offer_engine.hpp"
#include "loyalty/v1/catalog.pb.h"

namespace loyalty::domain::offers {

struct PricingContext {
    std::string store_id;
    std::string currency;
    int minor_unit_exponent = 2;
    date::local_seconds local_now{};  // the store's wall clock
    v1::PointsRules points;
    std::string sale_id;  // names next-visit coupon codes
};

// Prices `basket` against `candidates` (the offers its lines and shopper could trigger, and the
// owners of the codes presented; any order). `candidates` must have passed validate_offer.
PricedBasket price_basket(const BasketSnapshot& basket, const std::vector<const v1::Offer*>& candidates,
                          const PricingContext& context);

// Whether `offer` may apply to this shopper at this store and time (rule 1, without the code).
bool eligible(const v1::Offer& offer, const CustomerRecord* customer, const PricingContext& context);

// Whether `code` is a coupon code of `offer`: "<offer id>-<serial>".
bool coupon_code_for(const v1::Offer& offer, const std::string& code);

// Points for paying `paid_minor_units` (rule 5 without offers).
std::int64_t base_points(std::int64_t paid_minor_units, v1::Tier tier, const PricingContext& context);

}  // namespace loyalty::domain::offers
