// `loyalty-hq campaign add|list|pause|resume|retire|run` and `loyalty-hq report campaigns`:
// what the command line prints for campaigns (docs/head-office.md).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <google/protobuf/util/time_util.h>

#include "hq/cli/commands.hpp"
#include "hq/config/campaign_file.hpp"

namespace loyalty::hq {
namespace {

using Kind = Report::Kind;

std::string day_of(const google::protobuf::Timestamp& t) {
    return google::protobuf::util::TimeUtil::ToString(t).substr(0, 10);
}

std::string state_name(const CampaignRow& row) {
    switch (row.state) {
        case v1::CAMPAIGN_STATE_LIVE: break;
        case v1::CAMPAIGN_STATE_PAUSED: return "paused";
        case v1::CAMPAIGN_STATE_RETIRED: return "retired";
        default: return "?";
    }
    const auto now = google::protobuf::util::TimeUtil::GetCurrentTime();
    if (now >= row.campaign.ends()) return "ended";
    if (row.budget_spent) return "budget spent";
    if (now < row.campaign.starts()) return "scheduled";
    return "live";
}

// Minor units, rounded, as a report's money cell.
std::string minor(double v) {
    return std::to_string(std::llround(v));
}

// Reads the campaign file, stores it (with its offer) and targets it at once.
int campaign_add(CommandContext& context, const std::string& file) {
    CampaignFileResult result = load_campaign_file(file, context.config().currency);
    if (!result.file) {
        for (const auto& error : result.errors)
            std::fprintf(stderr, "%s\n", error.to_string().c_str());
        std::fprintf(stderr, "%s: nothing added (%zu error%s)\n", file.c_str(), result.errors.size(),
                     result.errors.size() == 1 ? "" : "s");
        return 1;
    }
    const CampaignFile& f = *result.file;
    Storage& storage = context.storage();
    try {
        storage.put_campaign(f.campaign, f.offer ? &*f.offer : nullptr);
    } catch (const StorageError& e) {
        std::fprintf(stderr, "%s: %s; nothing added\n", file.c_str(), e.what());
        return 1;
    }
    std::printf("campaign %s added (offer %s%s, %s to %s, control %.2f %%)\n", f.campaign.campaign_id().c_str(),
                f.campaign.offer_id().c_str(), f.offer ? ", defined in the file" : "",
                day_of(f.campaign.starts()).c_str(), day_of(f.campaign.ends()).c_str(),
                f.campaign.control_basis_points() / 100.0);
    for (const auto& run : storage.run_campaigns(Clock::now(), f.campaign.campaign_id()))
        std::printf("%s\n", run.describe().c_str());
    std::printf("catalog version %llu (the tills pick the assignments up within seconds)\n",
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

int campaign_list(CommandContext& context) {
    Report report;
    report.columns = {{"campaign", Kind::text},    {"name", Kind::text},      {"offer", Kind::text},
                      {"state", Kind::text},       {"starts", Kind::text},    {"ends", Kind::text},
                      {"control_pct", Kind::text}, {"targeted", Kind::count}, {"control", Kind::count},
                      {"redeemed", Kind::count},   {"cost", Kind::money},     {"budget", Kind::text}};
    for (const auto& row : context.storage().campaigns()) {
        const auto& c = row.campaign;
        char share[16];
        std::snprintf(share, sizeof share, "%.2f", c.control_basis_points() / 100.0);
        report.rows.push_back({c.campaign_id(), c.name(), c.offer_id(), state_name(row), day_of(c.starts()),
                               day_of(c.ends()), share, std::to_string(row.targeted), std::to_string(row.control),
                               std::to_string(row.redemptions), std::to_string(row.cost),
                               c.budget().minor_units() > 0 ? context.money(c.budget().minor_units()) : "none"});
    }
    if (report.rows.empty() && context.format() == ReportFormat::table) {
        std::printf("No campaigns.\n");
        return 0;
    }
    std::printf("%s", context.render(report).c_str());
    return 0;
}

// Pause, resume (state LIVE) or retire.
int campaign_set_state(CommandContext& context, const std::string& campaign_id, v1::CampaignState state) {
    Storage& storage = context.storage();
    if (!storage.set_campaign_state(campaign_id, state)) {
        std::fprintf(stderr, "no campaign %s\n", campaign_id.c_str());
        return 1;
    }
    const char* done = state == v1::CAMPAIGN_STATE_PAUSED    ? "paused: its assignments are withdrawn from the tills"
                       : state == v1::CAMPAIGN_STATE_RETIRED ? "retired: its assignments are withdrawn for good"
                                                             : "resumed: its members' assignments go back to the tills";
    std::printf("campaign %s %s; catalog version %llu\n", campaign_id.c_str(), done,
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

// Targets every live campaign, or only `campaign_id`, now.
int campaign_run(CommandContext& context, const std::string& campaign_id) {
    Storage& storage = context.storage();
    const auto runs = storage.run_campaigns(Clock::now(), campaign_id);
    if (runs.empty()) std::printf("No live campaigns.\n");
    for (const auto& run : runs)
        std::printf("%s\n", run.describe().c_str());
    std::printf("catalog version %llu\n", static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

// Assigned, redeemed, cost and uplift with its 95 % interval, per campaign (all when `ids` is empty).
int campaign_report(CommandContext& context, const std::vector<std::string>& ids) {
    Storage& storage = context.storage();
    const ReportFormat format = context.format();
    std::vector<std::string> wanted = ids;
    if (wanted.empty()) {
        for (const auto& row : storage.campaigns())
            wanted.push_back(row.campaign.campaign_id());
    }
    Report report;
    report.columns = {{"campaign", Kind::text},    {"state", Kind::text},           {"targeted", Kind::count},
                      {"control", Kind::count},    {"redeemed", Kind::count},       {"redeemers", Kind::count},
                      {"cost", Kind::money},       {"spend_targeted", Kind::money}, {"spend_control", Kind::money},
                      {"uplift", Kind::money},     {"ci95_low", Kind::money},       {"ci95_high", Kind::money},
                      {"incremental", Kind::money}};
    const auto now = Clock::now();
    for (const auto& id : wanted) {
        const auto u = storage.campaign_uplift(id, now);
        if (!u) {
            std::fprintf(stderr, "no campaign %s\n", id.c_str());
            return 1;
        }
        report.rows.push_back({id, state_name(u->row), std::to_string(u->row.targeted), std::to_string(u->row.control),
                               std::to_string(u->row.redemptions), std::to_string(u->redeemers),
                               std::to_string(u->row.cost), minor(u->targeted_mean), minor(u->control_mean),
                               minor(u->uplift), u->ci_low ? minor(*u->ci_low) : "",
                               u->ci_high ? minor(*u->ci_high) : "", minor(u->incremental_revenue)});
    }
    if (report.rows.empty() && format == ReportFormat::table) {
        std::printf("No campaigns.\n");
        return 0;
    }
    std::printf("%s", context.render(report).c_str());
    if (format == ReportFormat::table) {
        std::printf(
            "spend_*: net spend per member from when they were chosen to the campaign's end (or now); uplift "
            "= targeted - control, with its 95 %% confidence interval\n");
    }
    return 0;
}

struct CampaignOptions {
    std::string file;
    std::string id;
    std::vector<std::string> report_ids;
};

}  // namespace

void add_campaign_commands(Commands& commands) {
    auto o = std::make_shared<CampaignOptions>();
    commands.group("campaign", "targeted campaigns with a control group");
    commands
        .add("campaign", "add", "add or change the campaign of FILE (TOML), then target it at once",
             [o](CommandContext& context) { return campaign_add(context, o->file); })
        ->add_option("FILE", o->file, "TOML file")
        ->required()
        ->check(CLI::ExistingFile);
    commands.add_format(commands.add("campaign", "list", "every campaign: state, members, redemptions", campaign_list));
    const std::pair<const char*, const char*> states[] = {
        {"pause", "stop targeting; withdraw its assignments from the tills"},
        {"resume", "a paused campaign goes on"},
        {"retire", "end a campaign for good (its own offer is retired with it)"}};
    for (const auto& [name, description] : states) {
        const v1::CampaignState state = std::string_view{name} == "pause"    ? v1::CAMPAIGN_STATE_PAUSED
                                        : std::string_view{name} == "retire" ? v1::CAMPAIGN_STATE_RETIRED
                                                                             : v1::CAMPAIGN_STATE_LIVE;
        commands
            .add("campaign", name, description,
                 [o, state](CommandContext& context) { return campaign_set_state(context, o->id, state); })
            ->add_option("CAMPAIGN", o->id, "campaign id")
            ->required();
    }
    commands
        .add("campaign", "run", "target now (serve does it after every profile refresh)",
             [o](CommandContext& context) { return campaign_run(context, o->id); })
        ->add_option("CAMPAIGN", o->id, "only this campaign (default: every live one)");
    commands.group("report", "reports");
    auto* report =
        commands.add("report", "campaigns",
                     "per campaign: assigned, redeemed, cost, uplift of targeted against control (95 % interval)",
                     [o](CommandContext& context) { return campaign_report(context, o->report_ids); });
    report->add_option("CAMPAIGN", o->report_ids, "only these (default: every campaign)");
    commands.add_format(report);
}

}  // namespace loyalty::hq
