#include "hq/storage/reports.hpp"

#include <map>

namespace loyalty::hq {
namespace {

using Kind = Report::Kind;

std::string text(std::int64_t v) {
    return std::to_string(v);
}

// Sales, card sales, gross, discounts, revenue per key; returns and refunds per key.
struct Sums {
    std::int64_t sales = 0, card_sales = 0, gross = 0, discounts = 0, revenue = 0, returns = 0, refunds = 0;
};

Report sales_by(sqlite::Database& db, const ReportRequest& r, const std::string& key_name, const char* sale_key,
                const char* return_key) {
    std::map<std::string, Sums> by;
    auto sales = db.prepare(std::string("SELECT ") + sale_key +
                            ", count(*), count(customer_id), sum(subtotal), sum(discount_total), sum(total) FROM sales "
                            "WHERE sold_at >= ? AND sold_at < ? GROUP BY 1");
    sales.bind_all(r.from_ms, r.to_ms);
    while (sales.step()) {
        Sums& s = by[sales.column_text(0)];
        s.sales = sales.column_int64(1);
        s.card_sales = sales.column_int64(2);
        s.gross = sales.column_int64(3);
        s.discounts = sales.column_int64(4);
        s.revenue = sales.column_int64(5);
    }
    auto returns = db.prepare(std::string("SELECT ") + return_key +
                              ", count(*), sum(refund_total) FROM returns WHERE returned_at >= ? AND returned_at < ? "
                              "GROUP BY 1");
    returns.bind_all(r.from_ms, r.to_ms);
    while (returns.step()) {
        Sums& s = by[returns.column_text(0)];
        s.returns = returns.column_int64(1);
        s.refunds = returns.column_int64(2);
    }
    Report report;
    report.columns = {{key_name, Kind::text},         {"sales", Kind::count},     {"card_sales", Kind::count},
                      {"gross", Kind::money},         {"discounts", Kind::money}, {"revenue", Kind::money},
                      {"returns", Kind::count},       {"refunds", Kind::money},   {"net", Kind::money},
                      {"average_basket", Kind::money}};
    for (const auto& [key, s] : by) {
        report.rows.push_back({key, text(s.sales), text(s.card_sales), text(s.gross), text(s.discounts),
                               text(s.revenue), text(s.returns), text(s.refunds), text(s.revenue - s.refunds),
                               text(s.sales > 0 ? s.revenue / s.sales : 0)});
    }
    return report;
}

Report by_department(sqlite::Database& db, const ReportRequest& r) {
    struct Row {
        std::int64_t lines = 0, units = 0, grams = 0, gross = 0, refunds = 0;
    };
    std::map<std::string, Row> by;
    auto lines = db.prepare(
        "SELECT l.department, count(*), coalesce(sum(l.units), 0), coalesce(sum(l.weight_grams), 0), "
        "sum(l.line_total) FROM sale_lines l JOIN sales s ON s.id = l.sale WHERE s.sold_at >= ? AND s.sold_at < ? "
        "GROUP BY 1");
    lines.bind_all(r.from_ms, r.to_ms);
    while (lines.step()) {
        Row& row = by[lines.column_text(0)];
        row.lines = lines.column_int64(1);
        row.units = lines.column_int64(2);
        row.grams = lines.column_int64(3);
        row.gross = lines.column_int64(4);
    }
    auto refunds = db.prepare(
        "SELECT l.department, sum(rl.refund) FROM return_lines rl JOIN returns r ON r.id = rl.return "
        "JOIN sales s ON s.terminal_id = coalesce(r.original_terminal_id, r.terminal_id) AND s.sale_id = "
        "r.original_sale_id JOIN sale_lines l ON l.sale = s.id AND l.line_no = rl.original_line_no "
        "WHERE r.returned_at >= ? AND r.returned_at < ? GROUP BY 1");
    refunds.bind_all(r.from_ms, r.to_ms);
    while (refunds.step())
        by[refunds.column_text(0)].refunds = refunds.column_int64(1);
    Report report;
    report.columns = {{"department", Kind::text},    {"lines", Kind::count}, {"units", Kind::count},
                      {"weight_grams", Kind::count}, {"gross", Kind::money}, {"refunds", Kind::money},
                      {"net", Kind::money}};
    for (const auto& [department, row] : by) {
        report.rows.push_back({department, text(row.lines), text(row.units), text(row.grams), text(row.gross),
                               text(row.refunds), text(row.gross - row.refunds)});
    }
    return report;
}

Report top_products(sqlite::Database& db, const ReportRequest& r) {
    auto top = db.prepare(
        "SELECT l.gtin, max(l.description), max(l.department), count(DISTINCT l.sale), coalesce(sum(l.units), 0), "
        "coalesce(sum(l.weight_grams), 0), sum(l.line_total) FROM sale_lines l JOIN sales s ON s.id = l.sale "
        "WHERE s.sold_at >= ? AND s.sold_at < ? GROUP BY l.gtin ORDER BY sum(l.line_total) DESC, l.gtin LIMIT ?");
    top.bind_all(r.from_ms, r.to_ms, static_cast<std::int64_t>(r.limit));
    Report report;
    report.columns = {{"gtin", Kind::text},     {"description", Kind::text}, {"department", Kind::text},
                      {"baskets", Kind::count}, {"units", Kind::count},      {"weight_grams", Kind::count},
                      {"revenue", Kind::money}};
    while (top.step()) {
        report.rows.push_back({top.column_text(0), top.column_text(1), top.column_text(2), text(top.column_int64(3)),
                               text(top.column_int64(4)), text(top.column_int64(5)), text(top.column_int64(6))});
    }
    return report;
}

Report customers_by_segment(sqlite::Database& db) {
    // Customers without a profile (no profiling consent) are counted apart, never profiled.
    auto rows = db.prepare(
        "SELECT CASE WHEN p.customer_id IS NULL THEN '(no profiling consent)' WHEN p.segment = '' THEN "
        "'(not scored yet)' ELSE p.segment END, count(*), coalesce(sum(p.visits), 0), coalesce(sum(p.spend), 0) "
        "FROM customers c LEFT JOIN profiles p ON p.customer_id = c.customer_id WHERE c.erased_at IS NULL GROUP BY 1 "
        "ORDER BY 2 DESC, 1");
    Report report;
    report.columns = {
        {"segment", Kind::text}, {"customers", Kind::count}, {"visits", Kind::count}, {"spend", Kind::money}};
    while (rows.step()) {
        report.rows.push_back(
            {rows.column_text(0), text(rows.column_int64(1)), text(rows.column_int64(2)), text(rows.column_int64(3))});
    }
    return report;
}

Report customers_by_tier(sqlite::Database& db) {
    auto rows = db.prepare("SELECT tier, count(*) FROM customers WHERE erased_at IS NULL GROUP BY tier ORDER BY tier");
    Report report;
    report.columns = {{"tier", Kind::text}, {"customers", Kind::count}};
    while (rows.step()) {
        const auto tier = static_cast<v1::Tier>(rows.column_int64(0));
        std::string name = v1::Tier_Name(tier);
        if (name.rfind("TIER_", 0) == 0) name = name.substr(5);
        for (auto& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        report.rows.push_back({name, text(rows.column_int64(1))});
    }
    return report;
}

}  // namespace

Report run_report(sqlite::Database& db, const ReportRequest& request) {
    sqlite::Transaction snapshot(db, sqlite::Transaction::Kind::deferred);
    switch (request.kind) {
        case ReportKind::sales_by_store: return sales_by(db, request, "store", "store_id", "store_id");
        case ReportKind::sales_by_day:
            return sales_by(db, request, "day", "date(sold_at / 1000, 'unixepoch')",
                            "date(returned_at / 1000, 'unixepoch')");
        case ReportKind::sales_by_department: return by_department(db, request);
        case ReportKind::top_products: return top_products(db, request);
        case ReportKind::customers_by_segment: return customers_by_segment(db);
        case ReportKind::customers_by_tier: return customers_by_tier(db);
    }
    return {};
}

}  // namespace loyalty::hq
