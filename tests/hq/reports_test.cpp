// Reports on generated data (hq/synth) checked against figures this test computes on its own
// from the very same events: sales by store, day and department (with refunds), top products,
// customers by segment; a date window; the CSV and JSON renderings.
#include <algorithm>
#include <catch2/catch.hpp>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <map>

#include "hq/cli/report_format.hpp"
#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;

namespace {

constexpr std::int64_t k_day_ms = 86'400'000;

struct Sums {
    std::int64_t sales = 0, card_sales = 0, revenue = 0, returns = 0, refunds = 0;
    bool operator==(const Sums&) const = default;
};

std::string day_of(const v1::Event& e) {
    const std::chrono::sys_days day{std::chrono::days{e.header().terminal_time().seconds() / 86400}};
    const std::chrono::year_month_day ymd{day};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return text;
}

// The report's rows keyed by their first cell, with the named columns as numbers.
std::map<std::string, Sums> sums_of(const hq::Report& report) {
    auto column = [&](const std::string& name) {
        for (std::size_t i = 0; i < report.columns.size(); ++i)
            if (report.columns[i].name == name) return i;
        FAIL("no column " << name);
        return std::size_t{0};
    };
    std::map<std::string, Sums> out;
    for (const auto& row : report.rows) {
        out[row[0]] = Sums{std::stoll(row[column("sales")]), std::stoll(row[column("card_sales")]),
                           std::stoll(row[column("revenue")]), std::stoll(row[column("returns")]),
                           std::stoll(row[column("refunds")])};
    }
    return out;
}

}  // namespace

TEST_CASE("reports on generated data match the figures computed from the same events") {
    test::TempDir dir;
    hq::synth::Options options{.seed = 21, .customers = 150, .days = 40, .return_share = 0.05};
    const auto chain = hq::synth::generate(options);
    auto storage = hq::open_sqlite_storage(dir / "hq.db");
    hq::synth::feed(*storage, chain, 400);

    // Independently, from the events.
    std::map<std::string, Sums> by_store, by_day;
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_department;  // gross, refunds
    std::map<std::string, std::int64_t> revenue_by_gtin;
    std::map<std::pair<std::string, std::string>, const v1::PurchaseEvent*> sales;
    for (const v1::Event* e : chain.in_time_order()) {
        const std::string store = e->header().store_id();
        if (e->has_purchase()) {
            const auto& p = e->purchase();
            sales[{e->header().terminal_id(), p.sale_id()}] = &p;
            for (Sums* s : {&by_store[store], &by_day[day_of(*e)]}) {
                ++s->sales;
                s->card_sales += p.customer_id().empty() ? 0 : 1;
                s->revenue += p.total().minor_units();
            }
            for (const auto& line : p.lines()) {
                by_department[line.department()].first += line.line_total().minor_units();
                revenue_by_gtin[line.gtin()] += line.line_total().minor_units();
            }
        }
        if (e->has_sale_return()) {
            const auto& r = e->sale_return();
            for (Sums* s : {&by_store[store], &by_day[day_of(*e)]}) {
                ++s->returns;
                s->refunds += r.refund_total().minor_units();
            }
            const auto* sale = sales.at({r.original_terminal_id(), r.original_sale_id()});
            for (const auto& back : r.lines())
                for (const auto& line : sale->lines())
                    if (line.line_no() == back.original_line_no())
                        by_department[line.department()].second += back.refund().minor_units();
        }
    }
    REQUIRE(by_store.size() == 4);
    std::int64_t returns = 0;
    for (const auto& [store, s] : by_store)
        returns += s.returns;
    REQUIRE(returns > 5);

    CHECK(sums_of(storage->report({.kind = hq::ReportKind::sales_by_store})) == by_store);
    CHECK(sums_of(storage->report({.kind = hq::ReportKind::sales_by_day})) == by_day);

    const auto departments = storage->report({.kind = hq::ReportKind::sales_by_department});
    REQUIRE(departments.rows.size() == by_department.size());
    for (const auto& row : departments.rows) {
        INFO(row[0]);
        const auto& [gross, refunds] = by_department.at(row[0]);
        CHECK(std::stoll(row[4]) == gross);
        CHECK(std::stoll(row[5]) == refunds);
        CHECK(std::stoll(row[6]) == gross - refunds);
    }

    std::vector<std::pair<std::int64_t, std::string>> ranked;
    for (const auto& [gtin, revenue] : revenue_by_gtin)
        ranked.emplace_back(-revenue, gtin);
    std::sort(ranked.begin(), ranked.end());
    const auto top = storage->report({.kind = hq::ReportKind::top_products, .limit = 5});
    REQUIRE(top.rows.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(top.rows[i][0] == ranked[i].second);
        CHECK(std::stoll(top.rows[i][6]) == -ranked[i].first);
        CHECK_FALSE(top.rows[i][1].empty());  // the description the till printed
    }

    // A window of ten days: only what happened in it.
    const std::int64_t from =
        std::chrono::duration_cast<std::chrono::milliseconds>(options.first_day.time_since_epoch()).count() +
        10 * k_day_ms;
    const auto window = sums_of(
        storage->report({.kind = hq::ReportKind::sales_by_day, .from_ms = from, .to_ms = from + 10 * k_day_ms}));
    CHECK(window.size() == 10);
    for (const auto& [day, s] : window)
        CHECK(s == by_day.at(day));

    // Customers by segment: those without profiling consent apart, never profiled.
    std::int64_t without_consent = 0;
    for (const auto& c : chain.customers)
        without_consent += c.profiling_consent ? 0 : 1;
    const auto segments = storage->report({.kind = hq::ReportKind::customers_by_segment});
    std::int64_t counted = 0, apart = -1;
    for (const auto& row : segments.rows) {
        counted += std::stoll(row[1]);
        if (row[0] == "(no profiling consent)") apart = std::stoll(row[1]);
    }
    CHECK(counted == static_cast<std::int64_t>(chain.customers.size()));
    CHECK(apart == without_consent);
}

TEST_CASE("a report renders as a table, as CSV with quoting, and as JSON with numbers") {
    hq::Report report;
    report.columns = {
        {"store", hq::Report::Kind::text}, {"sales", hq::Report::Kind::count}, {"revenue", hq::Report::Kind::money}};
    report.rows = {{"S0001", "12", "123456"}, {"Utrecht, \"Centrum\"", "3", "-250"}};
    const std::string table = hq::render_report(report, hq::ReportFormat::table, 2);
    CHECK_THAT(table, Catch::Contains("Store") && Catch::Contains("1234.56") && Catch::Contains("-2.50"));
    CHECK(hq::render_report(report, hq::ReportFormat::csv, 2) ==
          "store,sales,revenue\r\nS0001,12,1234.56\r\n\"Utrecht, \"\"Centrum\"\"\",3,-2.50\r\n");
    google::protobuf::ListValue parsed;
    REQUIRE(google::protobuf::util::JsonStringToMessage(hq::render_report(report, hq::ReportFormat::json, 2), &parsed)
                .ok());
    REQUIRE(parsed.values_size() == 2);
    const auto& first = parsed.values(0).struct_value().fields();
    CHECK(first.at("store").string_value() == "S0001");
    CHECK(first.at("sales").number_value() == 12);
    CHECK(first.at("revenue").number_value() == Approx(1234.56));
    CHECK(hq::render_report(hq::Report{}, hq::ReportFormat::table, 2) == "Nothing to report.\n");
    // In a currency without minor units (JPY) or with three decimals (KWD), money reads as such.
    CHECK(hq::render_report(report, hq::ReportFormat::csv, 0) ==
          "store,sales,revenue\r\nS0001,12,123456\r\n\"Utrecht, \"\"Centrum\"\"\",3,-250\r\n");
    CHECK_THAT(hq::render_report(report, hq::ReportFormat::table, 3), Catch::Contains("123.456"));
    google::protobuf::ListValue dinars;
    REQUIRE(google::protobuf::util::JsonStringToMessage(hq::render_report(report, hq::ReportFormat::json, 3), &dinars)
                .ok());
    CHECK(dinars.values(0).struct_value().fields().at("revenue").number_value() == Approx(123.456));
    CHECK_FALSE(hq::report_format("xml").has_value());
}
