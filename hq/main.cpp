// loyalty-hq: head office (spec §5). `serve` runs the sync server (TLS ingest and catalog
// distribution); the other commands read or change head office's database directly (SQLite in WAL
// mode: safe while `serve` runs) and print readable tables.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sstream>

#include "domain/money.hpp"
#include "domain/offers/offer_validation.hpp"
#include "domain/version.hpp"
#include "hq/cli/campaign_commands.hpp"
#include "hq/cli/fleet_commands.hpp"
#include "hq/cli/report_format.hpp"
#include "hq/cli/table.hpp"
#include "hq/config/hq_config.hpp"
#include "hq/ingest/ingest.hpp"
#include "hq/ingest/profile_refresher.hpp"
#include "hq/synth/generator.hpp"

namespace {

using namespace loyalty;
using namespace loyalty::hq;

std::optional<HqConfig> load_config(const std::string& file) {
    HqConfigResult result = load_hq_config(file);
    if (!result.config) {
        for (const auto& error : result.errors)
            std::fprintf(stderr, "%s\n", error.to_string().c_str());
        std::fprintf(stderr, "%s: %zu error%s\n", file.c_str(), result.errors.size(),
                     result.errors.size() == 1 ? "" : "s");
    }
    return result.config;
}

// Head office's amounts: minor units of a two-decimal currency (the configuration's).
std::string money(std::int64_t minor_units) {
    return domain::format_amount(minor_units, 2);
}

// libprotobuf reports e.g. invalid UTF-8 in a terminal's strings on stderr by itself; that is
// the terminal's problem, already refused or stored as bytes: log it once at debug level.
void protobuf_log(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
    if (level >= google::protobuf::LOGLEVEL_FATAL) {
        spdlog::critical("libprotobuf {}:{}: {}", file, line, message);
    } else {
        spdlog::debug("libprotobuf {}:{}: {}", file, line, message);
    }
}

int serve(const HqConfig& config) {
    google::protobuf::SetLogHandler(protobuf_log);
    // The io_context outlives the ingest: a queued batch lives in its connection's coroutine, so
    // the writer must have finished with it (Ingest's destructor drains the queue) before the
    // coroutines are destroyed, even when leaving by an exception.
    boost::asio::io_context io{1};
    Ingest ingest(open_sqlite_storage(config.database), open_sqlite_storage(config.database));
    sync::ServerOptions options;
    options.listen_address = config.listen_address;
    options.port = config.port;
    options.tls = sync::TlsFiles{.ca_file = config.ca_file,
                                 .cert_file = config.cert_file,
                                 .key_file = config.key_file,
                                 .crl_file = config.crl_file};
    sync::SyncServer server(io, options, ingest);
    server.start();
    ProfileRefresher refresher(open_sqlite_storage(config.database), config.profile_refresh, config.tiers);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        server.stop();
        io.stop();
    });
    spdlog::info("loyalty-hq {} serving terminals on {}:{} (database {}, catalog version {})", domain::k_version,
                 config.listen_address, server.port(), config.database.string(), ingest.catalog_version());
    io.run();
    refresher.stop();
    ingest.stop();
    const IngestStats stats = ingest.stats();
    spdlog::info("stopped cleanly: {} new event(s) in {} batch(es), {} commit(s); {} applied", stats.events,
                 stats.batches, stats.commits, stats.applied);
    return 0;
}

int offer_add(Storage& storage, const HqConfig& config, const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        std::fprintf(stderr, "%s: cannot be read\n", file.c_str());
        return 1;
    }
    v1::CatalogDelta delta;
    google::protobuf::util::JsonParseOptions options;
    const auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &delta, options);
    if (!parsed.ok()) {
        std::fprintf(stderr, "%s: not a catalog file (JSON of loyalty.v1.CatalogDelta): %s\n", file.c_str(),
                     std::string(parsed.message()).c_str());
        return 1;
    }
    int problems = 0;
    std::vector<v1::Offer> offers(delta.offers().begin(), delta.offers().end());
    for (const auto& offer : offers) {
        if (const std::string why = domain::offers::validate_offer(offer, config.currency.code); !why.empty()) {
            std::fprintf(stderr, "%s: %s\n", file.c_str(), why.c_str());
            ++problems;
        }
    }
    if (delta.has_points_rules()) {
        if (const std::string why = domain::offers::validate_points_rules(delta.points_rules()); !why.empty()) {
            std::fprintf(stderr, "%s: %s\n", file.c_str(), why.c_str());
            ++problems;
        }
    }
    if (problems > 0) {
        std::fprintf(stderr, "%s: nothing added (%d problem%s)\n", file.c_str(), problems, problems == 1 ? "" : "s");
        return 1;
    }
    storage.put_offers(offers, delta.has_points_rules() ? &delta.points_rules() : nullptr);
    std::printf("%zu offer(s) added or changed%s; catalog version %llu (terminals pick it up within seconds)\n",
                offers.size(), delta.has_points_rules() ? ", points rules set" : "",
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

int offer_list(Storage& storage, bool all) {
    Table table({"Offer", "Name", "Kind", "Revision", "State", "Assigned", "Redeemed", "Discount"});
    for (const auto& row : storage.offers(all)) {
        const auto* field = row.offer.GetReflection()->GetOneofFieldDescriptor(
            row.offer, row.offer.GetDescriptor()->FindOneofByName("mechanic"));
        table.add({row.offer.offer_id(), row.offer.name(), field ? field->name() : "?",
                   std::to_string(row.offer.revision()), row.retired ? "retired" : "live",
                   std::to_string(row.assignments), std::to_string(row.redemptions), money(row.discount_minor_units)});
    }
    std::printf("%s", table.render().c_str());
    return 0;
}

int report_summary(Storage& storage) {
    const Summary s = storage.summary();
    Table stores({"Store", "Sales", "With card", "Revenue", "Discounts", "Points earned", "Points redeemed", "Returns",
                  "Refunds", "Voids"});
    StoreSales all;
    all.store_id = "all stores";
    for (const auto& row : s.stores) {
        stores.add({row.store_id, std::to_string(row.sales), std::to_string(row.card_sales), money(row.revenue),
                    money(row.discounts), std::to_string(row.points_earned), std::to_string(row.points_redeemed),
                    std::to_string(row.returns), money(row.refunds), std::to_string(row.voids)});
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
    stores.add({all.store_id, std::to_string(all.sales), std::to_string(all.card_sales), money(all.revenue),
                money(all.discounts), std::to_string(all.points_earned), std::to_string(all.points_redeemed),
                std::to_string(all.returns), money(all.refunds), std::to_string(all.voids)});
    std::printf("Sales per store\n%s\n", stores.render().c_str());
    Table offers({"Offer", "Name", "Redeemed", "Discount given"});
    for (const auto& row : s.offers)
        offers.add({row.offer_id, row.name, std::to_string(row.redemptions), money(row.discount)});
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

int customer_show(Storage& storage, const std::string& id) {
    const auto customer = storage.customer(id);
    if (!customer) {
        std::fprintf(stderr, "no customer %s\n", id.c_str());
        return 1;
    }
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(*customer, &json, options);
    std::printf("%s", json.c_str());
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

// --from and --to are checked as the command line is read.
const CLI::Validator k_day_check(
    [](std::string& text) { return parse_day(text) ? std::string{} : "not a date YYYY-MM-DD: " + text; }, "YYYY-MM-DD");

int customer_profile(Storage& storage, const std::string& id) {
    if (!storage.customer(id)) {
        std::fprintf(stderr, "no customer %s\n", id.c_str());
        return 1;
    }
    const auto p = storage.profile(id);
    if (!p) {
        std::printf("%s: no profile (no profiling consent)\n", id.c_str());
        return 0;
    }
    std::printf("Customer        %s\n", id.c_str());
    std::printf("Visits          %lld (first %s, last %s)\n", static_cast<long long>(p->visits),
                report_time_ms(p->first_visit_ms).c_str(), report_time_ms(p->last_visit_ms).c_str());
    std::printf("Spend           %s (refunds %s), average basket %s\n", money(p->spend).c_str(),
                money(p->refunds).c_str(), money(p->average_basket()).c_str());
    if (p->median_gap_days) std::printf("Rhythm          a visit every %.1f days (median)\n", *p->median_gap_days);
    if (p->recency > 0) {
        std::printf("RFM             R%d F%d M%d, segment %s\n", p->recency, p->frequency, p->monetary,
                    p->segment.c_str());
    }
    if (p->churn_ratio) std::printf("Churn ratio     %.2f (days since last visit / own median gap)\n", *p->churn_ratio);
    std::string departments;
    for (const auto& [department, spend] : p->favourite_departments)
        departments += (departments.empty() ? "" : ", ") + department + " " + money(spend);
    std::printf("Departments     %s\n", departments.c_str());
    std::string products;
    for (const auto& [gtin, baskets] : p->favourite_products)
        products += (products.empty() ? "" : ", ") + gtin + " x" + std::to_string(baskets);
    std::printf("Products        %s\n", products.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"loyalty-hq: head office of the loyalty-card service (sync server, offers, fleet, reports)"};
    app.set_version_flag("--version", std::string{domain::k_version});
    std::string config_file = "/etc/loyalty/hq.toml";
    std::string log_level = "info";
    app.add_option("--config", config_file, "head office configuration (TOML)")->capture_default_str();
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or critical")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical"}));
    app.require_subcommand(1);
    std::string report_format_name = "table";
    auto add_format = [&](CLI::App* cmd) {
        cmd->add_option("--format", report_format_name, "table, csv or json")
            ->check(CLI::IsMember({"table", "csv", "json"}))
            ->capture_default_str();
    };
    auto* serve_cmd = app.add_subcommand("serve", "accept terminals over mutual TLS: store their events, send offers");
    auto* check_cmd = app.add_subcommand("check-config", "validate the configuration file, then exit");
    auto* terminals_cmd = app.add_subcommand("terminals", "every terminal: link, last contact, backlog, versions");
    auto* conflicts_cmd =
        app.add_subcommand("conflicts", "what offline tills could not prevent: reused coupons, negative balances");
    add_format(terminals_cmd);
    add_format(conflicts_cmd);
    auto* offer_cmd = app.add_subcommand("offer", "offers sent to every till");
    offer_cmd->require_subcommand(1);
    std::string offer_file;
    auto* offer_add_cmd = offer_cmd->add_subcommand(
        "add", "add or change the offers (and points rules) of FILE, a loyalty.v1.CatalogDelta in JSON");
    offer_add_cmd->add_option("FILE", offer_file, "JSON file")->required()->check(CLI::ExistingFile);
    bool list_all = false;
    auto* offer_list_cmd = offer_cmd->add_subcommand("list", "live offers with their redemptions");
    offer_list_cmd->add_flag("--all", list_all, "retired offers too");
    std::string offer_id;
    auto* offer_retire_cmd = offer_cmd->add_subcommand("retire", "withdraw an offer from every till");
    offer_retire_cmd->add_option("OFFER", offer_id, "offer id")->required();
    v1::OfferAssignment assignment;
    std::string assign_offer, assign_customer, assign_code;
    unsigned assign_uses = 0, assign_days = 0;
    auto* assign_cmd = app.add_subcommand("assign", "assign an offer to one customer (targeted offers)");
    assign_cmd->add_option("OFFER", assign_offer, "offer id")->required();
    assign_cmd->add_option("CUSTOMER", assign_customer, "customer id")->required();
    assign_cmd->add_option("--code", assign_code, "a single-use code for the customer");
    assign_cmd->add_option("--uses", assign_uses, "uses allowed (default: as the offer's limits say)");
    assign_cmd->add_option("--days", assign_days, "valid for this many days (default: the offer's validity)");
    auto* campaign_cmd = app.add_subcommand("campaign", "targeted campaigns with a control group");
    campaign_cmd->require_subcommand(1);
    std::string campaign_file, campaign_id;
    auto* campaign_add_cmd =
        campaign_cmd->add_subcommand("add", "add or change the campaign of FILE (TOML), then target it at once");
    campaign_add_cmd->add_option("FILE", campaign_file, "TOML file")->required()->check(CLI::ExistingFile);
    auto* campaign_list_cmd = campaign_cmd->add_subcommand("list", "every campaign: state, members, redemptions");
    add_format(campaign_list_cmd);
    auto* campaign_pause_cmd =
        campaign_cmd->add_subcommand("pause", "stop targeting; withdraw its assignments from the tills");
    auto* campaign_resume_cmd = campaign_cmd->add_subcommand("resume", "a paused campaign goes on");
    auto* campaign_retire_cmd =
        campaign_cmd->add_subcommand("retire", "end a campaign for good (its own offer is retired with it)");
    for (auto* cmd : {campaign_pause_cmd, campaign_resume_cmd, campaign_retire_cmd})
        cmd->add_option("CAMPAIGN", campaign_id, "campaign id")->required();
    auto* campaign_run_cmd =
        campaign_cmd->add_subcommand("run", "target now (serve does it after every profile refresh)");
    campaign_run_cmd->add_option("CAMPAIGN", campaign_id, "only this campaign (default: every live one)");
    auto* report_cmd = app.add_subcommand("report", "reports");
    report_cmd->require_subcommand(1);
    auto* summary_cmd = report_cmd->add_subcommand("summary", "sales per store, offers redeemed, customers");
    auto* report_fleet_cmd =
        report_cmd->add_subcommand("fleet", "every terminal: link, last contact, backlog, versions");
    add_format(report_fleet_cmd);
    auto* report_conflicts_cmd = report_cmd->add_subcommand("conflicts", "what offline tills could not prevent");
    add_format(report_conflicts_cmd);
    ReportRequest report_request;
    std::string report_by = "store", report_from, report_to;
    auto report_options = [&](CLI::App* cmd) {
        cmd->add_option("--from", report_from, "first day, YYYY-MM-DD (UTC)")->check(k_day_check);
        cmd->add_option("--to", report_to, "last day, YYYY-MM-DD (UTC), included")->check(k_day_check);
        add_format(cmd);
    };
    auto* report_sales_cmd = report_cmd->add_subcommand("sales", "sales, refunds and net by store, day or department");
    report_sales_cmd->add_option("--by", report_by, "store, day or department")
        ->check(CLI::IsMember({"store", "day", "department"}))
        ->capture_default_str();
    report_options(report_sales_cmd);
    auto* report_products_cmd = report_cmd->add_subcommand("products", "top products by revenue");
    report_products_cmd->add_option("--top", report_request.limit, "how many")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    report_options(report_products_cmd);
    double min_lift = 1.0;
    auto* report_together_cmd =
        report_cmd->add_subcommand("bought-together", "products bought together: support, confidence, lift");
    report_together_cmd->add_option("--top", report_request.limit, "how many rules")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    report_together_cmd->add_option("--min-lift", min_lift, "leave out weaker rules")->capture_default_str();
    add_format(report_together_cmd);
    std::vector<std::string> report_campaign_ids;
    auto* report_campaigns_cmd = report_cmd->add_subcommand(
        "campaigns", "per campaign: assigned, redeemed, cost, uplift of targeted against control (95 % interval)");
    report_campaigns_cmd->add_option("CAMPAIGN", report_campaign_ids, "only these (default: every campaign)");
    add_format(report_campaigns_cmd);
    std::string customers_by = "segment";
    auto* report_customers_cmd = report_cmd->add_subcommand("customers", "customers by segment or tier");
    report_customers_cmd->add_option("--by", customers_by, "segment or tier")
        ->check(CLI::IsMember({"segment", "tier"}))
        ->capture_default_str();
    add_format(report_customers_cmd);
    auto* customer_cmd = app.add_subcommand("customer", "customers");
    customer_cmd->require_subcommand(1);
    std::string customer_id;
    auto* customer_show_cmd = customer_cmd->add_subcommand("show", "everything held about one customer, as JSON");
    auto* customer_export_cmd =
        customer_cmd->add_subcommand("export", "everything held about one customer as JSON (a subject access request)");
    customer_export_cmd->add_option("CUSTOMER", customer_id, "customer id")->required();
    auto* customer_erase_cmd = customer_cmd->add_subcommand(
        "erase", "delete one customer's personal data, keep their purchases only under a pseudonym, tell the tills");
    customer_erase_cmd->add_option("CUSTOMER", customer_id, "customer id")->required();
    auto* customer_profile_cmd = customer_cmd->add_subcommand("profile", "what head office knows from the purchases");
    customer_profile_cmd->add_option("CUSTOMER", customer_id, "customer id")->required();
    hq::synth::Options synth;
    auto* generate_cmd = app.add_subcommand(
        "generate", "feed a seeded synthetic chain's events (stores, tills, customers with habits) into the database");
    generate_cmd->add_option("--seed", synth.seed, "the same seed gives the same events")->capture_default_str();
    generate_cmd->add_option("--stores", synth.stores)->check(CLI::Range(1, 999))->capture_default_str();
    generate_cmd->add_option("--tills", synth.terminals_per_store, "per store")
        ->check(CLI::Range(1, 99))
        ->capture_default_str();
    generate_cmd->add_option("--customers", synth.customers)->check(CLI::Range(0, 10'000'000))->capture_default_str();
    generate_cmd->add_option("--days", synth.days, "ending today")->check(CLI::Range(1, 3660))->capture_default_str();
    generate_cmd->add_flag("--fraud", synth.fraud,
                           "three customers misbehave: a busy card, impossible travel, returns over purchases");
    int alert_days = 7;
    auto* alerts_cmd =
        app.add_subcommand("alerts", "fraud signals: busy cards, impossible travel, returns over purchases");
    alerts_cmd->add_option("--days", alert_days, "look back this many days")
        ->check(CLI::Range(1, 3660))
        ->capture_default_str();
    add_format(alerts_cmd);
    auto* profiles_cmd = app.add_subcommand("profiles", "customer profiles");
    profiles_cmd->require_subcommand(1);
    auto* profiles_refresh_cmd =
        profiles_cmd->add_subcommand("refresh", "RFM scores, segments and tiers now (serve does it periodically)");
    auto* contact_key_cmd =
        app.add_subcommand("contact-key", "the key tills hash phone numbers and e-mail addresses with");
    contact_key_cmd->require_subcommand(1);
    auto* contact_key_rotate_cmd =
        contact_key_cmd->add_subcommand("rotate", "a new key: every customer goes to the tills again, hashed under it");
    customer_show_cmd->add_option("CUSTOMER", customer_id, "customer id")->required();
    CLI11_PARSE(app, argc, argv);

    auto logger = spdlog::stderr_logger_mt("loyalty-hq");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));

    const auto config = load_config(config_file);
    if (!config) return 1;
    if (*check_cmd) {
        std::printf("%s: OK (listening on %s:%u, database %s)\n", config_file.c_str(), config->listen_address.c_str(),
                    config->port, config->database.c_str());
        return 0;
    }
    try {
        if (*serve_cmd) return serve(*config);
        auto storage = open_sqlite_storage(config->database);
        const auto output = report_format(report_format_name).value_or(ReportFormat::table);
        if (*terminals_cmd || *report_fleet_cmd) return terminals(*config, *storage, output);
        if (*conflicts_cmd || *report_conflicts_cmd) return conflicts(*storage, output);
        if (*offer_add_cmd) return offer_add(*storage, *config, offer_file);
        if (*offer_list_cmd) return offer_list(*storage, list_all);
        if (*offer_retire_cmd) {
            if (!storage->retire_offer(offer_id)) {
                std::fprintf(stderr, "no live offer %s\n", offer_id.c_str());
                return 1;
            }
            std::printf("offer %s retired; catalog version %llu\n", offer_id.c_str(),
                        static_cast<unsigned long long>(storage->catalog_version()));
            return 0;
        }
        if (*assign_cmd) {
            assignment.set_offer_id(assign_offer);
            assignment.set_customer_id(assign_customer);
            assignment.set_code(assign_code);
            assignment.set_uses_left(assign_uses);
            if (assign_days > 0) {
                *assignment.mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
                    std::chrono::duration_cast<std::chrono::seconds>(
                        (Clock::now() + std::chrono::hours(24) * assign_days).time_since_epoch())
                        .count());
            }
            storage->assign(assignment);
            std::printf("offer %s assigned to %s; catalog version %llu\n", assign_offer.c_str(),
                        assign_customer.c_str(), static_cast<unsigned long long>(storage->catalog_version()));
            return 0;
        }
        if (*campaign_add_cmd) return campaign_add(*storage, *config, campaign_file);
        if (*campaign_list_cmd) return campaign_list(*storage, output);
        if (*campaign_pause_cmd) return campaign_set_state(*storage, campaign_id, v1::CAMPAIGN_STATE_PAUSED);
        if (*campaign_resume_cmd) return campaign_set_state(*storage, campaign_id, v1::CAMPAIGN_STATE_LIVE);
        if (*campaign_retire_cmd) return campaign_set_state(*storage, campaign_id, v1::CAMPAIGN_STATE_RETIRED);
        if (*campaign_run_cmd) return campaign_run(*storage, campaign_id);
        if (*report_campaigns_cmd) return campaign_report(*storage, report_campaign_ids, output);
        if (*summary_cmd) return report_summary(*storage);
        if (*alerts_cmd) {
            const auto now = Clock::now();
            Report report;
            report.columns = {{"kind", Report::Kind::text},
                              {"customer", Report::Kind::text},
                              {"at", Report::Kind::text},
                              {"what", Report::Kind::text}};
            for (const auto& a : storage->alerts(config->alerts, now - std::chrono::days{alert_days}, now)) {
                report.rows.push_back({a.kind, a.customer_id, report_time_ms(a.at_ms), a.detail});
            }
            std::printf("%s", render_report(report, output).c_str());
            return 0;
        }
        if (*report_together_cmd) {
            Report report;
            report.columns = {{"if_bought", Report::Kind::text},      {"then_bought", Report::Kind::text},
                              {"baskets", Report::Kind::count},       {"support_pct", Report::Kind::text},
                              {"confidence_pct", Report::Kind::text}, {"lift", Report::Kind::text}};
            char buffer[32];
            auto fixed = [&](double v, const char* format) {
                std::snprintf(buffer, sizeof buffer, format, v);
                return std::string(buffer);
            };
            for (const auto& r : storage->bought_together(report_request.limit, min_lift)) {
                report.rows.push_back({r.x, r.y, std::to_string(r.baskets_xy), fixed(100 * r.support, "%.2f"),
                                       fixed(100 * r.confidence, "%.1f"), fixed(r.lift, "%.2f")});
            }
            std::printf("%s", render_report(report, output).c_str());
            return 0;
        }
        if (*report_sales_cmd || *report_products_cmd || *report_customers_cmd) {
            if (*report_sales_cmd) {
                report_request.kind = report_by == "day"          ? ReportKind::sales_by_day
                                      : report_by == "department" ? ReportKind::sales_by_department
                                                                  : ReportKind::sales_by_store;
            }
            if (*report_products_cmd) report_request.kind = ReportKind::top_products;
            if (*report_customers_cmd) {
                report_request.kind =
                    customers_by == "tier" ? ReportKind::customers_by_tier : ReportKind::customers_by_segment;
            }
            if (!report_from.empty()) report_request.from_ms = *parse_day(report_from);       // checked when parsed
            if (!report_to.empty()) report_request.to_ms = *parse_day(report_to) + k_day_ms;  // the whole last day
            std::printf("%s", render_report(storage->report(report_request), output).c_str());
            return 0;
        }
        if (*customer_show_cmd) return customer_show(*storage, customer_id);
        if (*customer_profile_cmd) return customer_profile(*storage, customer_id);
        if (*customer_export_cmd) {
            const auto json = storage->export_customer(customer_id);
            if (!json) {
                std::fprintf(stderr, "no customer %s (unknown, or erased)\n", customer_id.c_str());
                return 1;
            }
            std::printf("%s", json->c_str());
            return 0;
        }
        if (*customer_erase_cmd) {
            const auto erased = storage->erase_customer(customer_id);
            if (!erased) {
                std::fprintf(stderr, "no customer %s\n", customer_id.c_str());
                return 1;
            }
            if (erased->already) {
                std::printf("customer %s was erased before; nothing to do\n", customer_id.c_str());
                return 0;
            }
            std::printf(
                "customer %s erased: personal data deleted, %zu sale(s) and %zu return(s) kept under %s; the tills "
                "forget them with catalog version %llu\n",
                customer_id.c_str(), erased->sales, erased->returns, erased->pseudonym.c_str(),
                static_cast<unsigned long long>(storage->catalog_version()));
            return 0;
        }
        if (*generate_cmd) {
            synth.currency = config->currency.code;
            synth.first_day = std::chrono::floor<std::chrono::days>(Clock::now()) - std::chrono::days{synth.days};
            const auto chain = hq::synth::generate(synth);
            hq::synth::feed(*storage, chain);
            std::printf("%zu event(s) of %d store(s), %zu customer(s) over %d day(s) stored and applied (seed %llu)\n",
                        chain.event_count(), synth.stores, chain.customers.size(), synth.days,
                        static_cast<unsigned long long>(synth.seed));
            return 0;
        }
        if (*contact_key_rotate_cmd) {
            std::printf("contact key rotated; catalog version %llu (every till gets every customer again)\n",
                        static_cast<unsigned long long>(storage->rotate_contact_key()));
            return 0;
        }
        if (*profiles_refresh_cmd) {
            const auto done = storage->refresh_profiles(Clock::now(), config->tiers);
            std::printf(
                "%zu profile(s) scored, %zu tier(s) changed, %zu bought-together rule(s); catalog version %llu\n",
                done.profiles, done.tiers_changed, done.rules,
                static_cast<unsigned long long>(storage->catalog_version()));
            return 0;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loyalty-hq: %s\n", e.what());
        return 1;
    }
    return 2;
}
