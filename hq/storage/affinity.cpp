#include "hq/storage/affinity.hpp"

#include <algorithm>

namespace loyalty::hq {
namespace {

constexpr std::size_t k_chunk = 5000;

constexpr std::string_view k_schema = R"sql(
CREATE TABLE bought_together (
    generation INTEGER NOT NULL,
    x          TEXT NOT NULL,
    y          TEXT NOT NULL,
    baskets_xy INTEGER NOT NULL,
    support    REAL NOT NULL,
    confidence REAL NOT NULL,
    lift       REAL NOT NULL,
    PRIMARY KEY (generation, y, x)
) WITHOUT ROWID;
CREATE INDEX bought_together_lift ON bought_together (generation, lift);
INSERT INTO meta (key, value) VALUES ('affinity_generation', 0);
)sql";

}  // namespace

std::string_view Affinities::schema() {
    return k_schema;
}

std::int64_t Affinities::generation() {
    return db_.query_int64("SELECT value FROM meta WHERE key = 'affinity_generation'").value_or(0);
}

std::size_t Affinities::refresh(std::int64_t now_ms, const AffinityOptions& options,
                                const std::function<void(const std::function<void()>&)>& write) {
    // Count products and pairs per basket, in one read.
    rules::BasketCounter counter;
    {
        auto lines = db_.prepare(
            "SELECT s.id, l.gtin FROM sales s JOIN sale_lines l ON l.sale = s.id WHERE s.sold_at >= ? AND "
            "s.sold_at < ? ORDER BY s.id");
        lines.bind_all(now_ms - options.window_days * k_day_ms, now_ms);
        std::int64_t current = -1;
        while (lines.step()) {
            const std::int64_t sale = lines.column_int64(0);
            if (sale != current) {
                counter.close_basket();
                current = sale;
            }
            counter.add(lines.column_text(1));
        }
        counter.close_basket();
    }
    const std::vector<Rule> found = counter.rules(options.min_pair_baskets);
    // A new generation, written in pieces, then switched to; the old one deleted in pieces.
    const std::int64_t next = generation() + 1;
    // Rules a crashed refresh left under this number would mix with the new ones.
    write([&] { db_.cached("DELETE FROM bought_together WHERE generation = ?").bind(1, next).run(); });
    for (std::size_t from = 0; from < found.size(); from += k_chunk) {
        write([&] {
            auto& insert = db_.cached(
                "INSERT OR REPLACE INTO bought_together (generation, x, y, baskets_xy, support, confidence, lift) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)");
            for (std::size_t i = from; i < std::min(found.size(), from + k_chunk); ++i) {
                const Rule& r = found[i];
                insert.reset();
                insert.bind_all(next, r.x, r.y, r.baskets_xy)
                    .bind_real(5, r.support)
                    .bind_real(6, r.confidence)
                    .bind_real(7, r.lift)
                    .run();
            }
        });
    }
    write([&] { db_.cached("UPDATE meta SET value = ? WHERE key = 'affinity_generation'").bind(1, next).run(); });
    for (;;) {
        std::size_t deleted = 0;
        write([&] {
            // Rules of up to 100 products at a time.
            db_.cached(
                   "DELETE FROM bought_together WHERE generation != ?1 AND y IN (SELECT DISTINCT y FROM "
                   "bought_together WHERE generation != ?1 LIMIT 100)")
                .bind(1, next)
                .run();
            deleted = static_cast<std::size_t>(db_.changes());
        });
        if (deleted == 0) break;
    }
    return found.size();
}

std::vector<Rule> Affinities::rules(std::size_t limit, double min_lift) {
    auto& read = db_.cached(
        "SELECT x, y, baskets_xy, support, confidence, lift FROM bought_together WHERE generation = ? AND lift >= ? "
        "ORDER BY lift DESC, baskets_xy DESC, x, y LIMIT ?");
    read.bind(1, generation()).bind_real(2, min_lift).bind(3, static_cast<std::int64_t>(limit));
    std::vector<Rule> out;
    while (read.step()) {
        out.push_back(Rule{read.column_text(0), read.column_text(1), read.column_int64(2), read.column_real(3),
                           read.column_real(4), read.column_real(5)});
    }
    read.reset();
    return out;
}

std::vector<std::string> Affinities::likely_to_buy(const std::string& gtin, double min_lift,
                                                   std::int64_t not_since_ms) {
    auto& read = db_.cached(
        "SELECT DISTINCT p.customer_id FROM bought_together r JOIN profile_products p ON p.gtin = r.x "
        "WHERE r.generation = ? AND r.y = ? AND r.lift >= ? AND NOT EXISTS (SELECT 1 FROM profile_products q "
        "WHERE q.customer_id = p.customer_id AND q.gtin = r.y AND q.last_bought >= ?) ORDER BY p.customer_id");
    read.bind(1, generation()).bind(2, gtin).bind_real(3, min_lift).bind(4, not_since_ms);
    std::vector<std::string> out;
    while (read.step())
        out.push_back(read.column_text(0));
    read.reset();
    return out;
}

}  // namespace loyalty::hq
