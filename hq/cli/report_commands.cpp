// `loyalty-hq report summary|sales|products|bought-together|customers` and `loyalty-hq alerts`:
// what head office's analysts read (docs/head-office.md "Reports").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <google/protobuf/util/time_util.h>

#include "hq/cli/commands.hpp"
#include "hq/cli/table.hpp"

namespace loyalty::hq {
namespace {

int report_summary(CommandContext& context) {
    const Summary s = context.storage().summary();
    Table stores({"Store", "Sales", "With card", "Revenue", "Discounts", "Points earned", "Points redeemed", "Returns",
                  "Refunds", "Voids"});
    auto add = [&](const StoreSales& row) {
        stores.add({row.store_id, std::to_string(row.sales), std::to_string(row.card_sales), context.money(row.revenue),
                    context.money(row.discounts), std::to_string(row.points_earned),
                    std::to_string(row.points_redeemed), std::to_string(row.returns), context.money(row.refunds),
                    std::to_string(row.voids)});
    };
    StoreSales all;
    all.store_id = "all stores";
    for (const auto& row : s.stores) {
        add(row);
        all.sales += row.sales;
        all.card_sales += row.card_sales;
        all.revenue += row.revenue;
        all.discounts += row.discounts;
        all.points_earned += row.points_earned;
        all.points_redeemed += row.points_redeemed;
        all.returns += row.returns;
        all.refunds += row.refunds;
        all.voids += row.voids;
    }
    add(all);
    std::printf("Sales per store\n%s\n", stores.render().c_str());
    Table offers({"Offer", "Name", "Redeemed", "Discount given"});
    for (const auto& row : s.offers)
        offers.add({row.offer_id, row.name, std::to_string(row.redemptions), context.money(row.discount)});
    std::printf("Offers redeemed\n%s\n", offers.render().c_str());
    std::printf("Customers %llu (%llu enrolled at a till) · events held %llu · conflicts %llu\n",
                static_cast<unsigned long long>(s.customers), static_cast<unsigned long long>(s.enrolled_at_tills),
                static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.conflicts));
    if (s.unapplied > 0) {
        std::printf("%llu event(s) held but not in these figures yet (head office applies them right behind)\n",
                    static_cast<unsigned long long>(s.unapplied));
    }
    return 0;
}

// Midnight UTC of a YYYY-MM-DD day, in milliseconds since the Unix epoch.
std::optional<std::int64_t> parse_day(const std::string& text) {
    google::protobuf::Timestamp midnight;
    if (text.size() != 10 || !google::protobuf::util::TimeUtil::FromString(text + "T00:00:00Z", &midnight)) {
        return std::nullopt;
    }
    return google::protobuf::util::TimeUtil::TimestampToMilliseconds(midnight);
}

struct ReportOptions {
    ReportRequest request;
    std::string sales_by = "store";
    std::string customers_by = "segment";
    std::string from, to;
    double min_lift = 1.0;
    int alert_days = 7;
};

// A table report over the window --from/--to.
int report(CommandContext& context, const ReportOptions& o, ReportKind kind) {
    ReportRequest request = o.request;
    request.kind = kind;
    if (!o.from.empty()) request.from_ms = *parse_day(o.from);       // checked when parsed
    if (!o.to.empty()) request.to_ms = *parse_day(o.to) + k_day_ms;  // the whole last day
    std::printf("%s", context.render(context.storage().report(request)).c_str());
    return 0;
}

int bought_together(CommandContext& context, const ReportOptions& o) {
    Report report;
    report.columns = {{"if_bought", Report::Kind::text},      {"then_bought", Report::Kind::text},
                      {"baskets", Report::Kind::count},       {"support_pct", Report::Kind::text},
                      {"confidence_pct", Report::Kind::text}, {"lift", Report::Kind::text}};
    char buffer[32];
    auto fixed = [&](double v, const char* format) {
        std::snprintf(buffer, sizeof buffer, format, v);
        return std::string(buffer);
    };
    for (const auto& r : context.storage().bought_together(o.request.limit, o.min_lift)) {
        report.rows.push_back({r.x, r.y, std::to_string(r.baskets_xy), fixed(100 * r.support, "%.2f"),
                               fixed(100 * r.confidence, "%.1f"), fixed(r.lift, "%.2f")});
    }
    std::printf("%s", context.render(report).c_str());
    return 0;
}

int alerts(CommandContext& context, int days) {
    const auto now = Clock::now();
    Report report;
    report.columns = {{"kind", Report::Kind::text},
                      {"customer", Report::Kind::text},
                      {"at", Report::Kind::text},
                      {"what", Report::Kind::text}};
    for (const auto& a : context.storage().alerts(context.config().alerts, now - std::chrono::days{days}, now))
        report.rows.push_back({a.kind, a.customer_id, report_time_ms(a.at_ms), a.detail});
    std::printf("%s", context.render(report).c_str());
    return 0;
}

}  // namespace

void add_report_commands(Commands& commands) {
    auto o = std::make_shared<ReportOptions>();
    const CLI::Validator day_check(
        [](std::string& text) { return parse_day(text) ? std::string{} : "not a date YYYY-MM-DD: " + text; },
        "YYYY-MM-DD");
    auto window = [&](CLI::App* command) {
        command->add_option("--from", o->from, "first day, YYYY-MM-DD (UTC)")->check(day_check);
        command->add_option("--to", o->to, "last day, YYYY-MM-DD (UTC), included")->check(day_check);
        commands.add_format(command);
    };
    commands.group("report", "reports");
    commands.add("report", "summary", "sales per store, offers redeemed, customers", report_summary);
    auto* sales = commands.add("report", "sales", "sales, refunds and net by store, day or department",
                               [o](CommandContext& context) {
                                   return report(context, *o,
                                                 o->sales_by == "day"          ? ReportKind::sales_by_day
                                                 : o->sales_by == "department" ? ReportKind::sales_by_department
                                                                               : ReportKind::sales_by_store);
                               });
    sales->add_option("--by", o->sales_by, "store, day or department")
        ->check(CLI::IsMember({"store", "day", "department"}))
        ->capture_default_str();
    window(sales);
    auto* products = commands.add("report", "products", "top products by revenue", [o](CommandContext& context) {
        return report(context, *o, ReportKind::top_products);
    });
    products->add_option("--top", o->request.limit, "how many")->check(CLI::Range(1, 100000))->capture_default_str();
    window(products);
    auto* together = commands.add("report", "bought-together", "products bought together: support, confidence, lift",
                                  [o](CommandContext& context) { return bought_together(context, *o); });
    together->add_option("--top", o->request.limit, "how many rules")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    together->add_option("--min-lift", o->min_lift, "leave out weaker rules")->capture_default_str();
    commands.add_format(together);
    auto* customers = commands.add("report", "customers", "customers by segment or tier", [o](CommandContext& context) {
        return report(context, *o,
                      o->customers_by == "tier" ? ReportKind::customers_by_tier : ReportKind::customers_by_segment);
    });
    customers->add_option("--by", o->customers_by, "segment or tier")
        ->check(CLI::IsMember({"segment", "tier"}))
        ->capture_default_str();
    commands.add_format(customers);
    auto* alerts_cmd =
        commands.add("", "alerts", "fraud signals: busy cards, impossible travel, returns over purchases",
                     [o](CommandContext& context) { return alerts(context, o->alert_days); });
    alerts_cmd->add_option("--days", o->alert_days, "look back this many days")
        ->check(CLI::Range(1, 3660))
        ->capture_default_str();
    commands.add_format(alerts_cmd);
}

}  // namespace loyalty::hq
