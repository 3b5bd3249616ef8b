// Profile rules (docs/head-office.md "Profiles"), with no database: visit days and their median
// gap, RFM quintile edges and scores, segments, churn ratio, and the programme's tiers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/v1/common.pb.h"

namespace loyalty::hq::rules {

// Milliseconds in a day: head office's times are milliseconds since the Unix epoch, days UTC.
inline constexpr std::int64_t k_day_ms = 86'400'000;
// The newest distinct visit days a profile keeps: 32 gaps for the median.
inline constexpr std::size_t k_visit_days_kept = 33;

// The UTC day (days since the Unix epoch) of a time in milliseconds, also before 1970.
std::int64_t day_of(std::int64_t at_ms);
// 202611 for a time in November 2026 (UTC).
std::int64_t month_of(std::int64_t at_ms);

// `day` put in its place among the ascending `days` (once), only the oldest falling out past
// k_visit_days_kept: whatever order the tills' events arrive in, the newest days are kept.
void add_visit_day(std::vector<std::int64_t>& days, std::int64_t day);
// The median gap between consecutive visit days; none before two.
std::optional<double> median_gap(const std::vector<std::int64_t>& days);

// Four cut points per metric (quintiles) over all profiles, from the last refresh.
struct RfmEdges {
    std::vector<double> recency_days;  // fewer is better
    std::vector<double> visits;
    std::vector<double> spend;
    bool empty() const { return visits.empty(); }
};

// The four quintile cut points of `values` (empty for no values).
std::vector<double> quintile_edges(std::vector<double> values);
// 1..5: how many of the four edges the value is above (or below, when fewer is better), plus 1;
// 0 without edges.
int quintile(double value, const std::vector<double>& edges, bool lower_is_better);

// What scoring needs of one profile.
struct ProfileFigures {
    std::int64_t visits = 0;
    std::int64_t spend = 0;  // minor units, net of refunds
    std::int64_t last_visit_ms = 0;
    std::optional<double> median_gap_days;
};

struct RfmScore {
    int recency = 0, frequency = 0, monetary = 0;  // 1..5
    std::string segment;
    std::optional<double> churn_ratio;  // days since the last visit / the own median gap
};

// Days since the last visit, as of `now_ms` (never negative).
double days_since(std::int64_t last_visit_ms, std::int64_t now_ms);
// The profile scored against `edges` as of `now_ms`; nothing before the first refresh.
std::optional<RfmScore> score(const RfmEdges& edges, const ProfileFigures& profile, std::int64_t now_ms);
// Segment names from RFM scores: champion, loyal, big_spender, promising, occasional, at_risk,
// lapsed, new, one_off; "" unscored.
std::string segment_of(int recency, int frequency, int monetary, std::int64_t visits);

// Yearly spend (minor units) from which a customer is silver, gold, platinum (these defaults are
// for a two-decimal currency; head office's configuration scales them to its own).
struct TierThresholds {
    std::int64_t silver = 50'000;
    std::int64_t gold = 150'000;
    std::int64_t platinum = 400'000;
};

// The tier of a customer who spent `spend` (sales less refunds) over the last 365 days.
v1::Tier tier_for_spend(std::int64_t spend, const TierThresholds& tiers);

}  // namespace loyalty::hq::rules
