#include "hq/storage/profiles.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace loyalty::hq {
namespace {

constexpr std::string_view k_schema = R"sql(
ALTER TABLE customers ADD COLUMN profiling INTEGER NOT NULL DEFAULT 0;
CREATE TABLE profiles (
    customer_id TEXT PRIMARY KEY,
    visits      INTEGER NOT NULL DEFAULT 0,
    spend       INTEGER NOT NULL DEFAULT 0,
    refunds     INTEGER NOT NULL DEFAULT 0,
    lines       INTEGER NOT NULL DEFAULT 0,
    first_visit INTEGER NOT NULL,
    last_visit  INTEGER NOT NULL,
    visit_days  BLOB,
    median_gap  REAL,
    recency     INTEGER NOT NULL DEFAULT 0,
    frequency   INTEGER NOT NULL DEFAULT 0,
    monetary    INTEGER NOT NULL DEFAULT 0,
    segment     TEXT NOT NULL DEFAULT '',
    churn_ratio REAL
) WITHOUT ROWID;
CREATE INDEX profiles_segment ON profiles (segment);
CREATE TABLE customer_months (
    customer_id TEXT NOT NULL,
    month       INTEGER NOT NULL,
    spend       INTEGER NOT NULL DEFAULT 0,
    visits      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, month)
) WITHOUT ROWID;
CREATE TABLE profile_departments (
    customer_id TEXT NOT NULL,
    department  TEXT NOT NULL,
    spend       INTEGER NOT NULL DEFAULT 0,
    lines       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, department)
) WITHOUT ROWID;
CREATE TABLE profile_products (
    customer_id TEXT NOT NULL,
    gtin        TEXT NOT NULL,
    baskets     INTEGER NOT NULL DEFAULT 0,
    spend       INTEGER NOT NULL DEFAULT 0,
    last_bought INTEGER NOT NULL,
    PRIMARY KEY (customer_id, gtin)
) WITHOUT ROWID;
CREATE INDEX profile_products_gtin ON profile_products (gtin, last_bought);
CREATE TABLE rfm_edges (
    metric TEXT PRIMARY KEY,
    e1 REAL NOT NULL, e2 REAL NOT NULL, e3 REAL NOT NULL, e4 REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX sales_customer_time ON sales (customer_id, sold_at) WHERE customer_id IS NOT NULL;
ALTER TABLE returns ADD COLUMN original_terminal_id TEXT;
ALTER TABLE sale_lines ADD COLUMN description TEXT NOT NULL DEFAULT '';
CREATE INDEX sales_time ON sales (sold_at);
CREATE INDEX returns_customer ON returns (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX returns_original ON returns (original_sale_id);
CREATE TABLE return_lines (
    return           INTEGER NOT NULL REFERENCES returns (id),
    n                INTEGER NOT NULL,
    original_line_no INTEGER NOT NULL,
    refund           INTEGER NOT NULL,
    PRIMARY KEY (return, n)
) WITHOUT ROWID;
)sql";

std::int64_t wall_clock_ms() {
    return sqlite::to_unix_ms(std::chrono::system_clock::now());
}

// Visit days (days since the Unix epoch), ascending, four bytes each, little-endian.
std::vector<std::int64_t> read_days(const std::string& blob) {
    std::vector<std::int64_t> days(blob.size() / 4);
    for (std::size_t i = 0; i < days.size(); ++i) {
        std::uint32_t d = 0;
        for (int b = 3; b >= 0; --b)
            d = d << 8 | static_cast<unsigned char>(blob[4 * i + static_cast<std::size_t>(b)]);
        days[i] = d;
    }
    return days;
}

std::string write_days(const std::vector<std::int64_t>& days) {
    std::string blob;
    for (std::int64_t day : days) {
        const auto d = static_cast<std::uint32_t>(day);
        for (int b = 0; b < 4; ++b)
            blob += static_cast<char>((d >> (8 * b)) & 0xff);
    }
    return blob;
}

}  // namespace

std::string_view Profiles::schema() {
    return k_schema;
}

void Profiles::purchase(const std::string& customer_id, const v1::PurchaseEvent& p, std::int64_t at_ms) {
    std::vector<Line> lines;
    lines.reserve(static_cast<std::size_t>(p.lines_size()));
    for (const auto& line : p.lines())
        lines.push_back({line.department(), line.gtin(), line.line_total().minor_units()});
    basket(customer_id, p.total().minor_units(), lines, at_ms);
}

void Profiles::basket(const std::string& customer_id, std::int64_t total, const std::vector<Line>& lines,
                      std::int64_t at_ms, bool rescore) {
    // The newest distinct visit days, whatever order the tills' events arrive in (a till that was
    // offline sends days late): a day is put in its place, and only the oldest falls out.
    auto& read = db_.cached("SELECT visit_days FROM profiles WHERE customer_id = ?");
    read.bind(1, customer_id);
    std::vector<std::int64_t> days;
    if (read.step()) days = read_days(read.column_blob(0));
    read.reset();
    rules::add_visit_day(days, rules::day_of(at_ms));
    const auto gap = rules::median_gap(days);
    auto& upsert = db_.cached(
        "INSERT INTO profiles (customer_id, visits, spend, lines, first_visit, last_visit, visit_days, median_gap) "
        "VALUES (?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET visits = visits + 1, "
        "spend = spend + excluded.spend, lines = lines + excluded.lines, "
        "first_visit = min(first_visit, excluded.first_visit), last_visit = max(last_visit, excluded.last_visit), "
        "visit_days = excluded.visit_days, median_gap = excluded.median_gap");
    upsert.bind_all(customer_id, total, static_cast<std::int64_t>(lines.size()), at_ms, at_ms)
        .bind_blob(6, write_days(days));
    if (gap) {
        upsert.bind_real(7, *gap);
    } else {
        upsert.bind(7, nullptr);
    }
    upsert.run();
    db_.cached(
           "INSERT INTO customer_months (customer_id, month, spend, visits) VALUES (?, ?, ?, 1) "
           "ON CONFLICT (customer_id, month) DO UPDATE SET spend = spend + excluded.spend, visits = visits + 1")
        .bind_all(customer_id, rules::month_of(at_ms), total)
        .run();
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> departments;  // spend, lines
    std::map<std::string, std::int64_t> products;                              // spend
    for (const Line& line : lines) {
        auto& d = departments[line.department];
        d.first += line.amount;
        d.second += 1;
        products[line.gtin] += line.amount;
    }
    for (const auto& [department, sums] : departments) {
        db_.cached(
               "INSERT INTO profile_departments (customer_id, department, spend, lines) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (customer_id, department) DO UPDATE SET spend = spend + excluded.spend, "
               "lines = lines + excluded.lines")
            .bind_all(customer_id, department, sums.first, sums.second)
            .run();
    }
    for (const auto& [gtin, spend] : products) {
        db_.cached(
               "INSERT INTO profile_products (customer_id, gtin, baskets, spend, last_bought) VALUES (?, ?, 1, ?, ?) "
               "ON CONFLICT (customer_id, gtin) DO UPDATE SET baskets = baskets + 1, spend = spend + excluded.spend, "
               "last_bought = max(last_bought, excluded.last_bought)")
            .bind_all(customer_id, gtin, spend, at_ms)
            .run();
    }
    if (rescore) score(customer_id, wall_clock_ms());
}

void Profiles::refund(const std::string& customer_id, std::int64_t return_row, bool rescore) {
    // Each part counted once (`returns.profiled`: 1 the totals, 2 the lines), whichever arrives
    // first: the return, or the sale it takes back (its till was offline), or the profile itself.
    auto& head = db_.cached("SELECT refund_total, returned_at, profiled FROM returns WHERE id = ?");
    head.bind(1, return_row);
    if (!head.step()) {
        head.reset();
        return;
    }
    const std::int64_t total = head.column_int64(0);
    const std::int64_t at_ms = head.column_int64(1);
    std::int64_t profiled = head.column_int64(2);
    head.reset();
    const std::int64_t before = profiled;
    if ((profiled & 1) == 0) {
        db_.cached("UPDATE profiles SET spend = spend - ?, refunds = refunds + ? WHERE customer_id = ?")
            .bind_all(total, total, customer_id)
            .run();
        if (db_.changes() == 0) return;  // no profile yet: counted when there is one
        db_.cached(
               "INSERT INTO customer_months (customer_id, month, spend, visits) VALUES (?, ?, ?, 0) "
               "ON CONFLICT (customer_id, month) DO UPDATE SET spend = spend + excluded.spend")
            .bind_all(customer_id, rules::month_of(at_ms), -total)
            .run();
        profiled |= 1;
    }
    if ((profiled & 2) == 0 && refund_lines(customer_id, return_row)) profiled |= 2;
    if (profiled == before) return;
    db_.cached("UPDATE returns SET profiled = ? WHERE id = ?").bind_all(profiled, return_row).run();
    if (rescore) score(customer_id, wall_clock_ms());
}

bool Profiles::refund_lines(const std::string& customer_id, std::int64_t return_row) {
    // What the returned lines were, as the original sale recorded them (nothing while the sale
    // itself has not arrived: returned_before_sale() takes them then).
    auto& lines = db_.cached(
        "SELECT l.department, l.gtin, rl.refund FROM return_lines rl JOIN returns r ON r.id = rl.return "
        "JOIN sales s ON s.terminal_id = coalesce(r.original_terminal_id, r.terminal_id) "
        "AND s.sale_id = r.original_sale_id JOIN sale_lines l ON l.sale = s.id AND l.line_no = rl.original_line_no "
        "WHERE rl.return = ?");
    lines.bind(1, return_row);
    std::vector<Line> returned;
    while (lines.step())
        returned.push_back({lines.column_text(0), lines.column_text(1), lines.column_int64(2)});
    lines.reset();
    for (const Line& line : returned) {
        db_.cached("UPDATE profile_departments SET spend = spend - ? WHERE customer_id = ? AND department = ?")
            .bind_all(line.amount, customer_id, line.department)
            .run();
        db_.cached("UPDATE profile_products SET spend = spend - ? WHERE customer_id = ? AND gtin = ?")
            .bind_all(line.amount, customer_id, line.gtin)
            .run();
    }
    return !returned.empty();
}

void Profiles::returned_before_sale(const std::string& customer_id, const std::string& terminal_id,
                                    const std::string& sale_id) {
    auto& earlier = db_.cached(
        "SELECT id FROM returns WHERE original_sale_id = ? AND coalesce(original_terminal_id, terminal_id) = ? "
        "AND customer_id = ?");
    earlier.bind_all(sale_id, terminal_id, customer_id);
    std::vector<std::int64_t> rows;
    while (earlier.step())
        rows.push_back(earlier.column_int64(0));
    earlier.reset();
    for (std::int64_t row : rows)
        refund(customer_id, row);
}

void Profiles::rebuild(const std::string& customer_id) {
    forget(customer_id);
    struct Sale {
        std::int64_t row, total, at;
    };
    std::vector<Sale> sales;
    auto& read = db_.cached("SELECT id, total, sold_at FROM sales WHERE customer_id = ? ORDER BY sold_at, id");
    read.bind(1, customer_id);
    while (read.step())
        sales.push_back({read.column_int64(0), read.column_int64(1), read.column_int64(2)});
    read.reset();
    for (const Sale& sale : sales) {
        auto& read_lines =
            db_.cached("SELECT department, gtin, line_total FROM sale_lines WHERE sale = ? ORDER BY line_no");
        read_lines.bind(1, sale.row);
        std::vector<Line> lines;
        while (read_lines.step())
            lines.push_back({read_lines.column_text(0), read_lines.column_text(1), read_lines.column_int64(2)});
        read_lines.reset();
        basket(customer_id, sale.total, lines, sale.at, false);
    }
    std::vector<std::int64_t> returns;
    auto& read_returns = db_.cached("SELECT id FROM returns WHERE customer_id = ? ORDER BY returned_at, id");
    read_returns.bind(1, customer_id);
    while (read_returns.step())
        returns.push_back(read_returns.column_int64(0));
    read_returns.reset();
    for (std::int64_t row : returns)
        refund(customer_id, row, false);
    score(customer_id, wall_clock_ms());
}

void Profiles::forget(const std::string& customer_id) {
    db_.cached("UPDATE returns SET profiled = 0 WHERE customer_id = ? AND profiled != 0").bind(1, customer_id).run();
    for (const char* table : {"profiles", "customer_months", "profile_departments", "profile_products"}) {
        db_.cached(std::string("DELETE FROM ") + table + " WHERE customer_id = ?").bind(1, customer_id).run();
    }
}

const rules::RfmEdges& Profiles::edges() {
    // Read again now and then: another process (loyalty-hq profiles refresh) may have moved them.
    const auto now = std::chrono::steady_clock::now();
    if (edges_ && now - edges_read_ < std::chrono::seconds(60)) return *edges_;
    edges_read_ = now;
    rules::RfmEdges& edges = edges_.emplace();
    auto& read = db_.cached("SELECT metric, e1, e2, e3, e4 FROM rfm_edges");
    while (read.step()) {
        const std::string metric = read.column_text(0);
        std::vector<double> cut{read.column_real(1), read.column_real(2), read.column_real(3), read.column_real(4)};
        if (metric == "recency_days") edges.recency_days = cut;
        if (metric == "visits") edges.visits = cut;
        if (metric == "spend") edges.spend = cut;
    }
    read.reset();
    return edges;
}

void Profiles::score(const std::string& customer_id, std::int64_t now_ms) {
    const rules::RfmEdges& e = edges();
    if (e.empty()) return;  // before the first refresh
    auto& read = db_.cached("SELECT visits, spend, last_visit, median_gap FROM profiles WHERE customer_id = ?");
    read.bind(1, customer_id);
    if (!read.step()) {
        read.reset();
        return;
    }
    const rules::ProfileFigures figures{
        .visits = read.column_int64(0),
        .spend = read.column_int64(1),
        .last_visit_ms = read.column_int64(2),
        .median_gap_days = read.column_is_null(3) ? std::nullopt : std::optional{read.column_real(3)}};
    read.reset();
    const auto s = rules::score(e, figures, now_ms);
    auto& write = db_.cached(
        "UPDATE profiles SET recency = ?, frequency = ?, monetary = ?, segment = ?, churn_ratio = ? "
        "WHERE customer_id = ?");
    write.bind_all(s->recency, s->frequency, s->monetary, s->segment);
    if (s->churn_ratio) {
        write.bind_real(5, *s->churn_ratio);
    } else {
        write.bind(5, nullptr);
    }
    write.bind(6, customer_id).run();
}

std::size_t Profiles::refresh_edges(std::int64_t now_ms) {
    std::vector<double> days, visits, spend;
    auto& all = db_.cached("SELECT last_visit, visits, spend FROM profiles");
    while (all.step()) {
        days.push_back(rules::days_since(all.column_int64(0), now_ms));
        visits.push_back(static_cast<double>(all.column_int64(1)));
        spend.push_back(static_cast<double>(all.column_int64(2)));
    }
    all.reset();
    if (days.empty()) return 0;
    const std::size_t profiles = days.size();
    const std::vector<std::pair<const char*, std::vector<double>>> metrics{
        {"recency_days", rules::quintile_edges(std::move(days))},
        {"visits", rules::quintile_edges(std::move(visits))},
        {"spend", rules::quintile_edges(std::move(spend))}};
    for (const auto& [metric, cut] : metrics) {
        db_.cached("INSERT OR REPLACE INTO rfm_edges (metric, e1, e2, e3, e4) VALUES (?, ?, ?, ?, ?)")
            .bind(1, metric)
            .bind_real(2, cut[0])
            .bind_real(3, cut[1])
            .bind_real(4, cut[2])
            .bind_real(5, cut[3])
            .run();
    }
    edges_.reset();
    return profiles;
}

std::size_t Profiles::score_after(std::string& cursor, std::size_t limit, std::int64_t now_ms) {
    std::vector<std::string> ids;
    auto& next = db_.cached("SELECT customer_id FROM profiles WHERE customer_id > ? ORDER BY customer_id LIMIT ?");
    next.bind_all(cursor, static_cast<std::int64_t>(limit));
    while (next.step())
        ids.push_back(next.column_text(0));
    next.reset();
    for (const auto& id : ids)
        score(id, now_ms);
    cursor = ids.empty() ? std::string{} : ids.back();
    return ids.size();
}

std::vector<std::pair<std::string, v1::Tier>> Profiles::tier_changes(std::int64_t now_ms, const TierThresholds& tiers) {
    const std::int64_t since = now_ms - 365 * k_day_ms;
    std::map<std::string, std::int64_t> spend;
    auto& sales = db_.cached(
        "SELECT customer_id, sum(total) FROM sales WHERE customer_id IS NOT NULL AND sold_at >= ? AND sold_at <= ? "
        "GROUP BY customer_id");
    sales.bind_all(since, now_ms);
    while (sales.step())
        spend[sales.column_text(0)] += sales.column_int64(1);
    sales.reset();
    auto& refunds = db_.cached(
        "SELECT customer_id, sum(refund_total) FROM returns WHERE customer_id IS NOT NULL AND returned_at >= ? AND "
        "returned_at <= ? GROUP BY customer_id");
    refunds.bind_all(since, now_ms);
    while (refunds.step())
        spend[refunds.column_text(0)] -= refunds.column_int64(1);
    refunds.reset();
    std::vector<std::pair<std::string, v1::Tier>> changes;
    auto& customers = db_.cached("SELECT customer_id, tier FROM customers WHERE erased_at IS NULL");
    while (customers.step()) {
        const std::string id = customers.column_text(0);
        const auto it = spend.find(id);
        const std::int64_t s = it == spend.end() ? 0 : it->second;
        const v1::Tier want = rules::tier_for_spend(s, tiers);
        if (customers.column_int64(1) != want) changes.emplace_back(id, want);
    }
    customers.reset();
    return changes;
}

std::optional<Profile> Profiles::find(const std::string& customer_id) {
    auto& read = db_.cached(
        "SELECT visits, spend, refunds, lines, first_visit, last_visit, median_gap, recency, frequency, monetary, "
        "segment, churn_ratio FROM profiles WHERE customer_id = ?");
    read.bind(1, customer_id);
    if (!read.step()) {
        read.reset();
        return std::nullopt;
    }
    Profile p;
    p.customer_id = customer_id;
    p.visits = read.column_int64(0);
    p.spend = read.column_int64(1);
    p.refunds = read.column_int64(2);
    p.lines = read.column_int64(3);
    p.first_visit_ms = read.column_int64(4);
    p.last_visit_ms = read.column_int64(5);
    if (!read.column_is_null(6)) p.median_gap_days = read.column_real(6);
    p.recency = static_cast<int>(read.column_int64(7));
    p.frequency = static_cast<int>(read.column_int64(8));
    p.monetary = static_cast<int>(read.column_int64(9));
    p.segment = read.column_text(10);
    if (!read.column_is_null(11)) p.churn_ratio = read.column_real(11);
    read.reset();
    auto& departments = db_.cached(
        "SELECT department, spend FROM profile_departments WHERE customer_id = ? ORDER BY spend DESC, department "
        "LIMIT 3");
    departments.bind(1, customer_id);
    while (departments.step())
        p.favourite_departments.emplace_back(departments.column_text(0), departments.column_int64(1));
    departments.reset();
    auto& products = db_.cached(
        "SELECT gtin, baskets FROM profile_products WHERE customer_id = ? ORDER BY baskets DESC, spend DESC, gtin "
        "LIMIT 5");
    products.bind(1, customer_id);
    while (products.step())
        p.favourite_products.emplace_back(products.column_text(0), products.column_int64(1));
    products.reset();
    return p;
}

}  // namespace loyalty::hq
