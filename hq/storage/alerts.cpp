#include "hq/storage/alerts.hpp"

#include <map>

#include "hq/rules/alert_rules.hpp"

namespace loyalty::hq {
namespace {

// A known customer's rows: not anonymous, not an erased customer's pseudonymised history.
constexpr std::string_view k_known_customer =
    " customer_id IS NOT NULL AND customer_id NOT IN (SELECT pseudonym FROM customers WHERE pseudonym IS NOT NULL) ";

std::string sql(std::string_view head, std::string_view tail) {
    return std::string(head) + std::string(k_known_customer) + std::string(tail);
}

}  // namespace

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
            if (auto alert = rules::busy_card(busy.column_text(0), busy.column_text(1), busy.column_int64(2),
                                              busy.column_int64(3), options))
                alerts.push_back(std::move(*alert));
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
            if (customer == last_customer) {
                if (auto alert = rules::impossible_travel(customer, {last_store, last_at}, {store, at}, options))
                    alerts.push_back(std::move(*alert));
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
            if (auto alert = rules::returns_exceed(customer, spent, refunds, refunded.column_int64(2), options))
                alerts.push_back(std::move(*alert));
        }
    }
    return alerts;
}

}  // namespace loyalty::hq
