// Profile rules with no database: visit days, the median gap, RFM edges and scores, segments,
// churn ratio, tiers.
#include "hq/rules/profile_rules.hpp"

#include <catch2/catch.hpp>

using namespace loyalty;
using namespace loyalty::hq::rules;

TEST_CASE("days and months of a time, before 1970 too") {
    CHECK(day_of(0) == 0);
    CHECK(day_of(k_day_ms - 1) == 0);
    CHECK(day_of(k_day_ms) == 1);
    CHECK(day_of(-1) == -1);  // 1969-12-31
    CHECK(day_of(-k_day_ms) == -1);
    CHECK(month_of(1'794'700'800'000) == 202611);  // 2026-11-15T00:00:00Z
    CHECK(month_of(-1) == 196912);
}

TEST_CASE("visit days: each once, in order, the newest kept, whatever order they arrive in") {
    std::vector<std::int64_t> days;
    for (std::int64_t d : {10, 3, 7, 7, 3})
        add_visit_day(days, d);
    CHECK(days == std::vector<std::int64_t>{3, 7, 10});
    for (std::int64_t d = 100; d < 140; ++d)
        add_visit_day(days, d);
    REQUIRE(days.size() == k_visit_days_kept);
    CHECK(days.front() == 107);
    CHECK(days.back() == 139);
    add_visit_day(days, 50);  // older than everything kept: falls out at once
    CHECK(days.front() == 107);
}

TEST_CASE("the median gap between visit days") {
    CHECK_FALSE(median_gap({}).has_value());
    CHECK_FALSE(median_gap({5}).has_value());
    CHECK(median_gap({1, 3}) == 2);
    CHECK(median_gap({1, 2, 10}) == Approx(4.5));  // gaps 1 and 8
    CHECK(median_gap({0, 7, 14, 15}) == 7);        // gaps 7, 7, 1
}

TEST_CASE("quintile edges and scores: more is better, fewer days since the last visit is better") {
    CHECK(quintile_edges({}).empty());
    std::vector<double> values;
    for (int i = 1; i <= 100; ++i)
        values.push_back(i);
    const auto edges = quintile_edges(values);
    CHECK(edges == std::vector<double>{21, 41, 61, 81});
    CHECK(quintile(1, edges, false) == 1);
    CHECK(quintile(21, edges, false) == 1);  // not above the first edge
    CHECK(quintile(22, edges, false) == 2);
    CHECK(quintile(100, edges, false) == 5);
    CHECK(quintile(1, edges, true) == 5);  // one day since the last visit: best
    CHECK(quintile(100, edges, true) == 1);
    CHECK(quintile(50, {}, false) == 0);  // no edges yet
}

TEST_CASE("segments from RFM scores") {
    CHECK(segment_of(0, 0, 0, 3).empty());
    CHECK(segment_of(5, 1, 1, 1) == "new");
    CHECK(segment_of(2, 1, 1, 1) == "one_off");
    CHECK(segment_of(5, 5, 4, 20) == "champion");
    CHECK(segment_of(1, 5, 5, 20) == "lapsed");
    CHECK(segment_of(2, 3, 1, 6) == "at_risk");
    CHECK(segment_of(3, 4, 1, 9) == "loyal");
    CHECK(segment_of(3, 2, 5, 3) == "big_spender");
    CHECK(segment_of(4, 2, 2, 3) == "promising");
    CHECK(segment_of(3, 2, 2, 3) == "occasional");
}

TEST_CASE("a profile scored against the edges, with its churn ratio") {
    const RfmEdges edges{{7, 14, 30, 60}, {2, 4, 8, 16}, {5'000, 10'000, 20'000, 40'000}};
    const std::int64_t now = 100 * k_day_ms;
    CHECK_FALSE(score({}, ProfileFigures{}, now).has_value());  // before the first refresh
    const auto s =
        score(edges, {.visits = 20, .spend = 50'000, .last_visit_ms = now - 3 * k_day_ms, .median_gap_days = 6}, now);
    REQUIRE(s);
    CHECK(s->recency == 5);
    CHECK(s->frequency == 5);
    CHECK(s->monetary == 5);
    CHECK(s->segment == "champion");
    CHECK(s->churn_ratio == Approx(0.5));
    const auto gone =
        score(edges, {.visits = 5, .spend = 6'000, .last_visit_ms = now - 90 * k_day_ms, .median_gap_days = {}}, now);
    REQUIRE(gone);
    CHECK(gone->recency == 1);
    CHECK(gone->segment == "lapsed");
    CHECK_FALSE(gone->churn_ratio.has_value());  // no median gap
    // A visit "in the future" (a till's clock ahead) counts as today.
    CHECK(days_since(now + k_day_ms, now) == 0);
}

TEST_CASE("tiers from a year's spend against the thresholds") {
    const TierThresholds tiers{500, 1500, 4000};
    CHECK(tier_for_spend(-10, tiers) == v1::TIER_STANDARD);
    CHECK(tier_for_spend(499, tiers) == v1::TIER_STANDARD);
    CHECK(tier_for_spend(500, tiers) == v1::TIER_SILVER);
    CHECK(tier_for_spend(1500, tiers) == v1::TIER_GOLD);
    CHECK(tier_for_spend(4000, tiers) == v1::TIER_PLATINUM);
}
