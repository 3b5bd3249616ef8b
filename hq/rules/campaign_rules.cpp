#include "hq/rules/campaign_rules.hpp"

#include <cmath>

namespace loyalty::hq::rules {

bool in_control(std::string_view campaign_id, std::string_view customer_id, std::uint32_t control_basis_points) {
    // FNV-1a over both ids, then SplitMix64's finaliser so that every bit depends on every byte.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    const auto feed = [&](std::string_view s) {
        for (const unsigned char ch : s) {
            h ^= ch;
            h *= 0x100000001b3ULL;
        }
    };
    feed(campaign_id);
    feed(std::string_view("\0", 1));
    feed(customer_id);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h % 10'000 < control_basis_points;
}

void Moments::add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
}

double Moments::variance() const {
    return n > 1 ? m2 / static_cast<double>(n - 1) : 0;
}

UpliftFigures uplift(const Moments& targeted, const Moments& control) {
    UpliftFigures u;
    u.targeted_mean = targeted.mean;
    u.control_mean = control.mean;
    u.uplift = targeted.mean - control.mean;
    u.incremental_revenue = u.uplift * static_cast<double>(targeted.n);
    if (targeted.n > 1 && control.n > 1) {
        const double se = std::sqrt(targeted.variance() / static_cast<double>(targeted.n) +
                                    control.variance() / static_cast<double>(control.n));
        u.ci_low = u.uplift - 1.96 * se;
        u.ci_high = u.uplift + 1.96 * se;
    }
    return u;
}

}  // namespace loyalty::hq::rules
