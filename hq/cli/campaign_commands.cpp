#include "hq/cli/campaign_commands.hpp"

#include <cmath>
#include <cstdio>
#include <google/protobuf/util/time_util.h>

#include "domain/money.hpp"
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

}  // namespace

int campaign_add(Storage& storage, const HqConfig& config, const std::string& file) {
    CampaignFileResult result = load_campaign_file(file, config.currency);
    if (!result.file) {
        for (const auto& error : result.errors)
            std::fprintf(stderr, "%s\n", error.to_string().c_str());
        std::fprintf(stderr, "%s: nothing added (%zu error%s)\n", file.c_str(), result.errors.size(),
                     result.errors.size() == 1 ? "" : "s");
        return 1;
    }
    const CampaignFile& f = *result.file;
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

int campaign_list(Storage& storage, ReportFormat format) {
    Report report;
    report.columns = {{"campaign", Kind::text},    {"name", Kind::text},      {"offer", Kind::text},
                      {"state", Kind::text},       {"starts", Kind::text},    {"ends", Kind::text},
                      {"control_pct", Kind::text}, {"targeted", Kind::count}, {"control", Kind::count},
                      {"redeemed", Kind::count},   {"cost", Kind::money},     {"budget", Kind::text}};
    for (const auto& row : storage.campaigns()) {
        const auto& c = row.campaign;
        char share[16];
        std::snprintf(share, sizeof share, "%.2f", c.control_basis_points() / 100.0);
        report.rows.push_back(
            {c.campaign_id(), c.name(), c.offer_id(), state_name(row), day_of(c.starts()), day_of(c.ends()), share,
             std::to_string(row.targeted), std::to_string(row.control), std::to_string(row.redemptions),
             std::to_string(row.cost),
             c.budget().minor_units() > 0 ? domain::format_amount(c.budget().minor_units(), 2) : "none"});
    }
    if (report.rows.empty() && format == ReportFormat::table) {
        std::printf("No campaigns.\n");
        return 0;
    }
    std::printf("%s", render_report(report, format).c_str());
    return 0;
}

int campaign_set_state(Storage& storage, const std::string& campaign_id, v1::CampaignState state) {
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

int campaign_run(Storage& storage, const std::string& campaign_id) {
    const auto runs = storage.run_campaigns(Clock::now(), campaign_id);
    if (runs.empty()) std::printf("No live campaigns.\n");
    for (const auto& run : runs)
        std::printf("%s\n", run.describe().c_str());
    std::printf("catalog version %llu\n", static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

int campaign_report(Storage& storage, const std::vector<std::string>& ids, ReportFormat format) {
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
    std::printf("%s", render_report(report, format).c_str());
    if (format == ReportFormat::table) {
        std::printf(
            "spend_*: net spend per member from when they were chosen to the campaign's end (or now); uplift "
            "= targeted - control, with its 95 %% confidence interval\n");
    }
    return 0;
}

}  // namespace loyalty::hq
