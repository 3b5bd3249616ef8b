// OfferEngine: the one interface through which the till prices a basket. Given the basket and
// the shopper, it returns the discount lines (offer id, receipt text, amount, the units they
// touch), the points lines and points earned, and next-visit coupons. The offer and points
// engine (domain/offers, spec §3.3) implements it; NoOffers is what a terminal uses without
// one: no discounts, no points.
//
// Implementations are pure functions of their inputs (no I/O), called on every basket change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/offers/customer_record.hpp"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/events.pb.h"
#include "loyalty/v1/pos_api.pb.h"

namespace loyalty::domain {

struct BasketSnapshot {
    const std::string& sale_id;
    const std::vector<v1::SaleLine>& lines;
    const std::string& currency;
    const CustomerRecord* customer;  // nullptr: no card presented
    const std::string& store_id;
    std::int64_t points_to_redeem = 0;
    const std::vector<std::string>& coupon_codes;
};

struct PricedBasket {
    std::vector<v1::DiscountLine> discounts;  // each amount > 0 and never more than what it touches
    std::vector<v1::PointsLine> points_lines;
    std::int64_t points_earned = 0;
    std::int64_t points_redeemed = 0;  // what the redemption discount actually used (capped at what was left to pay)
    std::vector<v1::IssuedCoupon> coupons;
};

class OfferEngine {
public:
    virtual ~OfferEngine() = default;
    virtual PricedBasket price(const BasketSnapshot& basket) const = 0;
    // The offers to show the cashier when this shopper is identified.
    virtual std::vector<v1::OfferSummary> offers_for(const CustomerRecord& customer) const = 0;
    // Whether points can be redeemed as a discount, and whether a coupon code is known.
    virtual bool redeems_points() const = 0;
    // The fewest points a shopper may redeem at once.
    virtual std::int64_t min_redemption() const { return 0; }
    virtual bool knows_coupon(const std::string& code) const = 0;
};

class NoOffers final : public OfferEngine {
public:
    PricedBasket price(const BasketSnapshot&) const override { return {}; }
    std::vector<v1::OfferSummary> offers_for(const CustomerRecord&) const override { return {}; }
    bool redeems_points() const override { return false; }
    bool knows_coupon(const std::string&) const override { return false; }
};

}  // namespace loyalty::domain
