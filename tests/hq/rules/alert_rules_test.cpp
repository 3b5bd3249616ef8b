// Fraud-signal rules with no database: what is an alert and how it reads.
#include "hq/rules/alert_rules.hpp"

#include <catch2/catch.hpp>

using namespace loyalty;
using namespace loyalty::hq::rules;

namespace {

AlertOptions dutch_stores() {
    AlertOptions options;
    options.stores["S0001"] = {52.3702, 4.8952};  // Amsterdam
    options.stores["S0002"] = {52.0907, 5.1214};  // Utrecht
    options.stores["S0003"] = {52.3740, 4.8897};  // Amsterdam, 600 m from S0001
    return options;
}

}  // namespace

TEST_CASE("great-circle distances") {
    CHECK(distance_km({52.3702, 4.8952}, {52.0907, 5.1214}) == Approx(35).margin(1));        // Amsterdam-Utrecht
    CHECK(distance_km({51.5074, -0.1278}, {40.7128, -74.0060}) == Approx(5570).margin(10));  // London-New York
    CHECK(distance_km({0, 0}, {0, 0}) == 0);
}

TEST_CASE("a busy card: more sales in one day than the limit") {
    AlertOptions options;
    options.max_sales_per_day = 6;
    CHECK_FALSE(busy_card("C1", "2026-11-11", 6, 1000, options));
    const auto alert = busy_card("C1", "2026-11-11", 8, 1000, options);
    REQUIRE(alert);
    CHECK(alert->kind == "busy_card");
    CHECK(alert->customer_id == "C1");
    CHECK(alert->at_ms == 1000);
    CHECK(alert->detail == "8 sales on 2026-11-11 (more than 6)");
}

TEST_CASE("impossible travel: another store, too far for the time between the sales") {
    const AlertOptions options = dutch_stores();
    const std::int64_t minute = 60'000;
    // 35 km in 15 minutes is 140 km/h: over 120.
    const auto alert = impossible_travel("C1", {"S0001", 0}, {"S0002", 15 * minute}, options);
    REQUIRE(alert);
    CHECK(alert->kind == "impossible_travel");
    CHECK(alert->at_ms == 15 * minute);
    CHECK(alert->detail == "S0001 then S0002, 35 km apart in 15 min");
    CHECK_FALSE(impossible_travel("C1", {"S0001", 0}, {"S0002", 30 * minute}, options));  // 70 km/h
    CHECK_FALSE(impossible_travel("C1", {"S0001", 0}, {"S0001", 1}, options));            // the same store
    CHECK_FALSE(impossible_travel("C1", {"S0001", 0}, {"S0003", 1}, options));            // nearer than min_km
    CHECK_FALSE(impossible_travel("C1", {"S0001", 0}, {"S0099", 1}, options));            // no location known
}

TEST_CASE("returns over purchases, stated in the chain's currency") {
    AlertOptions options;
    options.currency = {"GBP", 2};
    CHECK_FALSE(returns_exceed("C1", 5'000, 5'000, 7, options));
    const auto alert = returns_exceed("C1", 22'841, 25'035, 7, options);
    REQUIRE(alert);
    CHECK(alert->kind == "returns_exceed");
    CHECK(alert->at_ms == 7);
    CHECK(alert->detail == "refunded 250.35 GBP against 228.41 GBP bought");
    options.currency = {"JPY", 0};
    CHECK(returns_exceed("C1", 0, 500, 7, options)->detail == "refunded 500 JPY against 0 JPY bought");
}
