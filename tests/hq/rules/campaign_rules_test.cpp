// Campaign rules with no database: the control group and the uplift with its interval.
#include "hq/rules/campaign_rules.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

using namespace loyalty::hq::rules;

TEST_CASE("control groups are a hash of campaign and customer: stable, and at the configured share") {
    std::size_t held = 0;
    for (int i = 0; i < 100'000; ++i)
        held += in_control("SPRING", "S0001-T01-ABCDE-C" + std::to_string(i), 1500) ? 1 : 0;
    CHECK(std::abs(static_cast<double>(held) / 100'000 - 0.15) < 0.005);
    CHECK(in_control("SPRING", "C1", 1500) == in_control("SPRING", "C1", 1500));
    CHECK_FALSE(in_control("SPRING", "C1", 0));
    CHECK(in_control("SPRING", "C1", 10'000));
    // Another campaign holds out other customers.
    std::size_t both = 0;
    for (int i = 0; i < 10'000; ++i) {
        const std::string id = "C" + std::to_string(i);
        both += in_control("A", id, 5000) && in_control("B", id, 5000) ? 1 : 0;
    }
    CHECK(std::abs(static_cast<double>(both) / 10'000 - 0.25) < 0.02);
    // The two ids are kept apart: ("AB", "C") and ("A", "BC") are different members.
    std::size_t same = 0;
    for (int i = 0; i < 1'000; ++i) {
        const std::string n = std::to_string(i);
        same += in_control("AB" + n, "C", 5000) == in_control("A", "B" + n + "C", 5000) ? 1 : 0;
    }
    CHECK(same < 600);
}

TEST_CASE("uplift: targeted against control spend, with Welch's 95 % interval") {
    Moments targeted, control;
    for (double x : {100.0, 200.0, 300.0})
        targeted.add(x);
    for (double x : {50.0, 150.0})
        control.add(x);
    CHECK(targeted.n == 3);
    CHECK(targeted.mean == Approx(200));
    CHECK(targeted.variance() == Approx(10'000));
    CHECK(control.variance() == Approx(5'000));
    const UpliftFigures u = uplift(targeted, control);
    CHECK(u.targeted_mean == Approx(200));
    CHECK(u.control_mean == Approx(100));
    CHECK(u.uplift == Approx(100));
    CHECK(u.incremental_revenue == Approx(300));
    const double se = std::sqrt(10'000.0 / 3 + 5'000.0 / 2);
    REQUIRE(u.ci_low);
    REQUIRE(u.ci_high);
    CHECK(*u.ci_low == Approx(100 - 1.96 * se));
    CHECK(*u.ci_high == Approx(100 + 1.96 * se));

    Moments one;
    one.add(80);
    CHECK(one.variance() == 0);
    const UpliftFigures thin = uplift(targeted, one);  // one control member: no interval
    CHECK(thin.uplift == Approx(120));
    CHECK_FALSE(thin.ci_low.has_value());
    CHECK_FALSE(thin.ci_high.has_value());
    CHECK(uplift(Moments{}, Moments{}).uplift == 0);
}
