#include "hq/rules/profile_rules.hpp"

#include <algorithm>
#include <chrono>

namespace loyalty::hq::rules {

std::int64_t day_of(std::int64_t at_ms) {
    return at_ms / k_day_ms - (at_ms % k_day_ms < 0 ? 1 : 0);
}

std::int64_t month_of(std::int64_t at_ms) {
    const std::chrono::sys_days day{std::chrono::days{day_of(at_ms)}};
    const std::chrono::year_month_day ymd{day};
    return static_cast<int>(ymd.year()) * 100 + static_cast<unsigned>(ymd.month());
}

void add_visit_day(std::vector<std::int64_t>& days, std::int64_t day) {
    if (const auto at = std::lower_bound(days.begin(), days.end(), day); at == days.end() || *at != day) {
        days.insert(at, day);
        if (days.size() > k_visit_days_kept) days.erase(days.begin(), days.end() - k_visit_days_kept);
    }
}

std::optional<double> median_gap(const std::vector<std::int64_t>& days) {
    if (days.size() < 2) return std::nullopt;
    std::vector<std::int64_t> gaps;
    for (std::size_t i = 1; i < days.size(); ++i)
        gaps.push_back(days[i] - days[i - 1]);
    std::sort(gaps.begin(), gaps.end());
    const std::size_t mid = gaps.size() / 2;
    return gaps.size() % 2 == 1 ? static_cast<double>(gaps[mid]) : (gaps[mid - 1] + gaps[mid]) / 2.0;
}

std::vector<double> quintile_edges(std::vector<double> values) {
    if (values.empty()) return {};
    std::sort(values.begin(), values.end());
    std::vector<double> edges;
    for (std::size_t k = 1; k <= 4; ++k)
        edges.push_back(values[std::min(values.size() - 1, values.size() * k / 5)]);
    return edges;
}

int quintile(double value, const std::vector<double>& edges, bool lower_is_better) {
    if (edges.size() != 4) return 0;
    int above = 0;
    for (double e : edges)
        if (value > e) ++above;
    return lower_is_better ? 5 - above : 1 + above;
}

double days_since(std::int64_t last_visit_ms, std::int64_t now_ms) {
    return static_cast<double>(std::max<std::int64_t>(now_ms - last_visit_ms, 0)) / static_cast<double>(k_day_ms);
}

std::optional<RfmScore> score(const RfmEdges& edges, const ProfileFigures& profile, std::int64_t now_ms) {
    if (edges.empty()) return std::nullopt;
    const double days = days_since(profile.last_visit_ms, now_ms);
    RfmScore s;
    s.recency = quintile(days, edges.recency_days, true);
    s.frequency = quintile(static_cast<double>(profile.visits), edges.visits, false);
    s.monetary = quintile(static_cast<double>(profile.spend), edges.spend, false);
    s.segment = segment_of(s.recency, s.frequency, s.monetary, profile.visits);
    if (profile.median_gap_days && *profile.median_gap_days > 0) s.churn_ratio = days / *profile.median_gap_days;
    return s;
}

std::string segment_of(int recency, int frequency, int monetary, std::int64_t visits) {
    if (recency == 0) return "";
    if (visits <= 1) return recency >= 4 ? "new" : "one_off";
    if (recency >= 4 && frequency >= 4 && monetary >= 4) return "champion";
    if (recency <= 1) return "lapsed";
    if (recency == 2 && frequency >= 3) return "at_risk";
    if (frequency >= 4) return "loyal";
    if (monetary >= 5) return "big_spender";
    return recency >= 4 ? "promising" : "occasional";
}

v1::Tier tier_for_spend(std::int64_t spend, const TierThresholds& tiers) {
    return spend >= tiers.platinum ? v1::TIER_PLATINUM
           : spend >= tiers.gold   ? v1::TIER_GOLD
           : spend >= tiers.silver ? v1::TIER_SILVER
                                   : v1::TIER_STANDARD;
}

}  // namespace loyalty::hq::rules
