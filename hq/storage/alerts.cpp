#include "hq/storage/alerts.hpp"

#include <cmath>
#include <cstdio>
#include <map>

#include "domain/currency.hpp"

namespace loyalty::hq {
namespace {

constexpr double k_earth_km = 6371.0;

// A known customer's rows: not anonymous, not an erased customer's pseudonymised history.
constexpr std::string_view k_known_customer =
    " customer_id IS NOT NULL AND customer_id NOT IN (SELECT pseudonym FROM customers WHERE pseudonym IS NOT NULL) ";

std::string sql(std::string_view head, std::string_view tail) {
    return std::string(head) + std::string(k_known_customer) + std::string(tail);
}

}  // namespace

double distance_km(const StoreLocation& a, const StoreLocation& b) {
    const double to_rad = M_PI / 180.0;
    const double dlat = (b.latitude - a.latitude) * to_rad, dlon = (b.longitude - a.longitude) * to_rad;
    const double h = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(a.latitude * to_rad) *
                                                                   std::cos(b.latitude * to_rad) * std::sin(dlon / 2) *
                                                                   std::sin(dlon / 2);
    return 2 * k_earth_km * std::asin(std::min(1.0, std::sqrt(h)));
}

std::vector<Alert> find_alerts(sqlite::Database& db, const AlertOptions& options, std::int64_t from_ms,
                               std::int64_t to_ms) {
    sqlite::Transaction snapshot(db, sqlite::Transaction::Kind::deferred);
    std::vector<Alert> alerts;
    {
        auto busy =
            db.prepare(sql("SELECT customer_id, date(sold_at / 1000, 'unixepoch'), count(*), min(sold_at) FROM "
                           "sales WHERE",
                           "AND sold_at >= ? AND sold_at < ? GROUP BY 1, 2 HAVING count(*) > ? ORDER BY 4"));
        busy.bind_all(from_ms, to_ms, options.max_sales_per_day);
        while (busy.step()) {
            alerts.push_back({"busy_card", busy.column_text(0), busy.column_int64(3),
                              std::to_string(busy.column_int64(2)) + " sales on " + busy.column_text(1) +
                                  " (more than " + std::to_string(options.max_sales_per_day) + ")"});
        }
    }
    if (!options.stores.empty()) {
        auto visits = db.prepare(sql("SELECT customer_id, sold_at, store_id FROM sales WHERE",
                                     "AND sold_at >= ? AND sold_at < ? ORDER BY customer_id, sold_at"));
        visits.bind_all(from_ms, to_ms);
        std::string last_customer, last_store;
        std::int64_t last_at = 0;
        while (visits.step()) {
            const std::string customer = visits.column_text(0);
            const std::int64_t at = visits.column_int64(1);
            const std::string store = visits.column_text(2);
            if (customer == last_customer && store != last_store) {
                const auto a = options.stores.find(last_store), b = options.stores.find(store);
                if (a != options.stores.end() && b != options.stores.end()) {
                    const double km = distance_km(a->second, b->second);
                    const double hours = static_cast<double>(at - last_at) / 3'600'000.0;
                    if (km >= options.min_km && km > options.max_kmh * hours) {
                        char detail[160];
                        std::snprintf(detail, sizeof detail, "%s then %s, %.0f km apart in %.0f min",
                                      last_store.c_str(), store.c_str(), km, hours * 60);
                        alerts.push_back({"impossible_travel", customer, at, detail});
                    }
                }
            }
            last_customer = customer;
            last_store = store;
            last_at = at;
        }
    }
    {
        std::map<std::string, std::pair<std::int64_t, std::int64_t>> by;  // bought, refunded
        auto bought = db.prepare(
            "SELECT customer_id, sum(total) FROM sales WHERE customer_id IS NOT NULL AND sold_at >= ? AND sold_at < ? "
            "GROUP BY 1");
        bought.bind_all(from_ms, to_ms);
        while (bought.step())
            by[bought.column_text(0)].first = bought.column_int64(1);
        auto refunded = db.prepare(sql("SELECT customer_id, sum(refund_total), max(returned_at) FROM returns WHERE",
                                       "AND returned_at >= ? AND returned_at < ? GROUP BY 1"));
        refunded.bind_all(from_ms, to_ms);
        while (refunded.step()) {
            const std::string customer = refunded.column_text(0);
            const std::int64_t refunds = refunded.column_int64(1);
            const std::int64_t spent = by[customer].first;
            if (refunds > spent) {
                alerts.push_back({"returns_exceed", customer, refunded.column_int64(2),
                                  "refunded " + domain::format_money(refunds, options.currency.code) + " against " +
                                      domain::format_money(spent, options.currency.code) + " bought"});
            }
        }
    }
    return alerts;
}

}  // namespace loyalty::hq
