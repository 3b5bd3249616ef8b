// Campaign rules (docs/head-office.md "Campaigns"), with no database: who is held out as control,
// and the uplift of the targeted members' spend over the control group's with its interval.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loyalty::hq::rules {

// Whether a customer is in the campaign's control group: a stable hash of both ids below the
// control share (basis points of 10,000), so a customer's group never changes between runs, and
// campaigns' control groups are independent of each other.
bool in_control(std::string_view campaign_id, std::string_view customer_id, std::uint32_t control_basis_points);

// Welford's running mean and sum of squared deviations of one group's spend per member.
struct Moments {
    std::uint64_t n = 0;
    double mean = 0, m2 = 0;
    void add(double x);
    // The sample variance (n - 1); 0 below two values.
    double variance() const;
};

struct UpliftFigures {
    double targeted_mean = 0, control_mean = 0;  // minor units per member
    double uplift = 0;                           // targeted_mean - control_mean
    std::optional<double> ci_low, ci_high;       // 95 % (Welch's standard error); two members in each group
    double incremental_revenue = 0;              // uplift x targeted members
};

UpliftFigures uplift(const Moments& targeted, const Moments& control);

}  // namespace loyalty::hq::rules
