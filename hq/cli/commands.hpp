// How loyalty-hq's command line is put together. main() makes the app and its global options;
// each command group (one file each: server_commands.cpp, offer_commands.cpp, ...) adds its
// subcommands to a Commands and says what each runs; main() then reads the configuration and runs
// the one the user chose with a CommandContext (the configuration, the output format, head
// office's storage opened on first use, amounts printed in the configured currency).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hq/cli/report_format.hpp"
#include "hq/config/hq_config.hpp"
#include "hq/storage/storage.hpp"

namespace CLI {
class App;
}

namespace loyalty::hq {

class CommandContext {
public:
    CommandContext(const HqConfig& config, ReportFormat format) : config_(config), format_(format) {}

    const HqConfig& config() const { return config_; }
    ReportFormat format() const { return format_; }
    // Head office's database, opened (and migrated) on first use. Throws StorageError.
    Storage& storage();
    // "12.34" for 1234 in a two-decimal currency (the configuration's).
    std::string money(std::int64_t minor_units) const;
    // `report` in the chosen format, money in the configured currency.
    std::string render(const Report& report) const;

private:
    const HqConfig& config_;
    ReportFormat format_;
    std::unique_ptr<Storage> storage_;
};

using CommandRun = std::function<int(CommandContext&)>;

class Commands {
public:
    explicit Commands(CLI::App& app) : app_(app) {}

    // A command under `parent` ("" for the top level, or a group's name such as "report") and
    // what it runs. Returns it, for its options.
    CLI::App* add(const std::string& parent, const std::string& name, const std::string& description, CommandRun run);
    // A group of commands ("offer", "report"): one of them must be given. Made once; the groups'
    // files may all add to it.
    CLI::App* group(const std::string& name, const std::string& description);
    // --format table|csv|json on `command`.
    void add_format(CLI::App* command);

    ReportFormat format() const;
    // What the command given on the command line runs; nullptr before parsing or when none was.
    const CommandRun* chosen() const;

private:
    CLI::App& app_;
    std::map<std::string, CLI::App*> groups_;
    std::vector<std::pair<CLI::App*, CommandRun>> runs_;
    std::string format_name_ = "table";
};

// Each group adds its commands (docs/head-office.md has the full list):
void add_server_commands(Commands& commands);    // serve, check-config
void add_fleet_commands(Commands& commands);     // terminals, conflicts, report fleet, report conflicts
void add_offer_commands(Commands& commands);     // offer add|list|retire, assign
void add_campaign_commands(Commands& commands);  // campaign add|list|pause|resume|retire|run, report campaigns
void add_report_commands(Commands& commands);    // report summary|sales|products|bought-together|customers, alerts
void add_customer_commands(Commands& commands);  // customer show|export|erase|profile, profiles refresh, contact-key
void add_generate_command(Commands& commands);   // generate

}  // namespace loyalty::hq
