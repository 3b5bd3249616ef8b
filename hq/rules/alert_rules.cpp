#include "hq/rules/alert_rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace loyalty::hq::rules {
namespace {
constexpr double k_earth_km = 6371.0;
}  // namespace

double distance_km(const StoreLocation& a, const StoreLocation& b) {
    const double to_rad = std::numbers::pi / 180.0;
    const double dlat = (b.latitude - a.latitude) * to_rad, dlon = (b.longitude - a.longitude) * to_rad;
    const double h = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(a.latitude * to_rad) *
                                                                   std::cos(b.latitude * to_rad) * std::sin(dlon / 2) *
                                                                   std::sin(dlon / 2);
    return 2 * k_earth_km * std::asin(std::min(1.0, std::sqrt(h)));
}

std::optional<Alert> busy_card(const std::string& customer_id, const std::string& day, std::int64_t sales,
                               std::int64_t first_at_ms, const AlertOptions& options) {
    if (sales <= options.max_sales_per_day) return std::nullopt;
    return Alert{
        "busy_card", customer_id, first_at_ms,
        std::to_string(sales) + " sales on " + day + " (more than " + std::to_string(options.max_sales_per_day) + ")"};
}

std::optional<Alert> impossible_travel(const std::string& customer_id, const Visit& from, const Visit& to,
                                       const AlertOptions& options) {
    if (from.store_id == to.store_id) return std::nullopt;
    const auto a = options.stores.find(from.store_id), b = options.stores.find(to.store_id);
    if (a == options.stores.end() || b == options.stores.end()) return std::nullopt;
    const double km = distance_km(a->second, b->second);
    const double hours = static_cast<double>(to.at_ms - from.at_ms) / 3'600'000.0;
    if (km < options.min_km || km <= options.max_kmh * hours) return std::nullopt;
    char detail[160];
    std::snprintf(detail, sizeof detail, "%s then %s, %.0f km apart in %.0f min", from.store_id.c_str(),
                  to.store_id.c_str(), km, hours * 60);
    return Alert{"impossible_travel", customer_id, to.at_ms, detail};
}

std::optional<Alert> returns_exceed(const std::string& customer_id, std::int64_t bought, std::int64_t refunded,
                                    std::int64_t at_ms, const AlertOptions& options) {
    if (refunded <= bought) return std::nullopt;
    return Alert{"returns_exceed", customer_id, at_ms,
                 "refunded " + domain::format_money(refunded, options.currency.code) + " against " +
                     domain::format_money(bought, options.currency.code) + " bought"};
}

}  // namespace loyalty::hq::rules
