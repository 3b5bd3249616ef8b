// Fraud-signal rules (docs/head-office.md "Alerts"), with no database: the store reads the
// figures (sales per card and day, each card's visits in time order, what each customer bought
// and refunded), these rules decide what is an alert and say why.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "domain/currency.hpp"

namespace loyalty::hq::rules {

struct StoreLocation {
    double latitude = 0, longitude = 0;  // degrees
};

struct AlertOptions {
    std::int64_t max_sales_per_day = 6;
    double max_kmh = 120;  // faster between two stores is impossible travel
    double min_km = 20;    // nearer stores never count
    std::map<std::string, StoreLocation> stores;
    domain::Currency currency;  // how returns_exceed states the amounts
};

struct Alert {
    std::string kind;  // busy_card, impossible_travel, returns_exceed
    std::string customer_id;
    std::int64_t at_ms = 0;
    std::string detail;
};

// Great-circle distance (haversine, Earth radius 6,371 km).
double distance_km(const StoreLocation& a, const StoreLocation& b);

// `sales` on one UTC day (`day`: "2026-11-11"), the first at `first_at_ms`: busy beyond the limit.
std::optional<Alert> busy_card(const std::string& customer_id, const std::string& day, std::int64_t sales,
                               std::int64_t first_at_ms, const AlertOptions& options);

struct Visit {
    std::string store_id;
    std::int64_t at_ms = 0;
};
// Two consecutive sales of one customer: another store, too far to have travelled in the time.
// Stores without a known location never count.
std::optional<Alert> impossible_travel(const std::string& customer_id, const Visit& from, const Visit& to,
                                       const AlertOptions& options);

// More refunded than bought in the window; `at_ms` is the last return's time.
std::optional<Alert> returns_exceed(const std::string& customer_id, std::int64_t bought, std::int64_t refunded,
                                    std::int64_t at_ms, const AlertOptions& options);

}  // namespace loyalty::hq::rules
