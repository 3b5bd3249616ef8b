// `loyalty-hq terminals` (alias `report fleet`) and `loyalty-hq conflicts` (alias `report
// conflicts`): the fleet as head office sees it, headed by the state of the revocation list it
// enforces (with a warning from 7 days before it expires), and the conflicts offline tills could
// not prevent (docs/head-office.md).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "hq/cli/commands.hpp"
#include "sync/revocation_list.hpp"

namespace loyalty::hq {
namespace {

std::string when(Clock::time_point t) {
    return report_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

std::string ago(Clock::time_point t) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t).count();
    if (s < 120) return std::to_string(s) + " s ago";
    if (s < 7200) return std::to_string(s / 60) + " min ago";
    if (s < 172800) return std::to_string(s / 3600) + " h ago";
    return std::to_string(s / 86400) + " days ago";
}

// The revocation list head office enforces, above the table; a warning when it is near its end.
void revocation_list_header(const HqConfig& config, ReportFormat format) {
    std::string line;
    std::string warning;
    try {
        const auto list = sync::read_checked_revocation_list(config.crl_file, config.ca_file);
        line = "revocation list " + config.crl_file.string() + ": " + list.summary();
        warning = sync::expiry_warning(list, config.crl_file);
    } catch (const std::exception& e) {
        warning = std::string("the revocation list cannot be used: ") + e.what();
    }
    // CSV and JSON stay machine-readable: the warning goes to stderr.
    if (format == ReportFormat::table) {
        if (!line.empty()) std::printf("%s\n", line.c_str());
        if (!warning.empty()) std::printf("WARNING: %s\n", warning.c_str());
        std::printf("\n");
    } else if (!warning.empty()) {
        std::fprintf(stderr, "WARNING: %s\n", warning.c_str());
    }
}

// In a table the last contact reads "12 s ago"; in CSV and JSON it is a time.
int terminals(CommandContext& context) {
    const ReportFormat format = context.format();
    revocation_list_header(context.config(), format);
    using Kind = Report::Kind;
    Report report;
    report.columns = {{"store", Kind::text},        {"terminal", Kind::text},      {"link", Kind::text},
                      {"last_contact", Kind::text}, {"held_through", Kind::count}, {"backlog", Kind::count},
                      {"events", Kind::count},      {"catalog", Kind::count},      {"version", Kind::text}};
    for (const auto& t : context.storage().terminals()) {
        report.rows.push_back({t.store_id, t.terminal_id, t.connected ? "connected" : "offline",
                               format == ReportFormat::table ? ago(t.last_contact) : when(t.last_contact),
                               std::to_string(t.stored_through), std::to_string(t.backlog), std::to_string(t.events),
                               std::to_string(t.catalog_version), t.software_version});
    }
    std::printf("%s", context.render(report).c_str());
    return 0;
}

int conflicts(CommandContext& context) {
    using Kind = Report::Kind;
    Report report;
    report.columns = {{"id", Kind::count},      {"detected", Kind::text},     {"kind", Kind::text},
                      {"store", Kind::text},    {"terminal", Kind::text},     {"event", Kind::text},
                      {"customer", Kind::text}, {"what_happened", Kind::text}};
    for (const auto& c : context.storage().conflicts()) {
        report.rows.push_back({std::to_string(c.id), when(c.detected_at), c.kind, c.store_id, c.terminal_id,
                               c.sequence == 0 ? "" : std::to_string(c.sequence), c.customer_id, c.detail});
    }
    if (report.rows.empty() && context.format() == ReportFormat::table) {
        std::printf("No conflicts.\n");
        return 0;
    }
    std::printf("%s", context.render(report).c_str());
    return 0;
}

}  // namespace

void add_fleet_commands(Commands& commands) {
    commands.group("report", "reports");
    for (const std::string parent : {"", "report"}) {
        commands.add_format(commands.add(parent, parent.empty() ? "terminals" : "fleet",
                                         "every terminal: link, last contact, backlog, versions", terminals));
        commands.add_format(commands.add(parent, "conflicts",
                                         parent.empty() ? "what offline tills could not prevent: reused coupons, "
                                                          "negative balances"
                                                        : "what offline tills could not prevent",
                                         conflicts));
    }
}

}  // namespace loyalty::hq
