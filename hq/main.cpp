// loyalty-hq: head office (spec §5). `serve` runs the sync server (TLS ingest and catalog
// distribution); the other commands read or change head office's database directly (SQLite in WAL
// mode: safe while `serve` runs) and print readable tables. This file reads the global options,
// the configuration and the command line; each command group lives in hq/cli/ (commands.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "domain/version.hpp"
#include "hq/cli/commands.hpp"
#include "hq/config/hq_config.hpp"

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
    Commands commands(app);
    add_server_commands(commands);
    add_fleet_commands(commands);
    add_offer_commands(commands);
    add_campaign_commands(commands);
    add_report_commands(commands);
    add_customer_commands(commands);
    add_generate_command(commands);
    CLI11_PARSE(app, argc, argv);

    auto logger = spdlog::stderr_logger_mt("loyalty-hq");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));

    const auto config = load_config(config_file);
    if (!config) return 1;
    const CommandRun* run = commands.chosen();
    if (run == nullptr) return 2;  // CLI11 has already required a command
    try {
        CommandContext context(*config, commands.format());
        return (*run)(context);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loyalty-hq: %s\n", e.what());
        return 1;
    }
}
