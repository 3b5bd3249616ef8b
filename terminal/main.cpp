// loyaltyd: the terminal daemon (spec §3). This file only reads the command line and wires the
// parts together; everything it runs lives in the loyalty_terminal library.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <string>

#include "domain/version.hpp"
#include "terminal/config/terminal_config.hpp"
#include "terminal/daemon.hpp"
#include "terminal/store/local_store.hpp"

namespace {

using namespace loyalty;
using namespace loyalty::terminal;

void print_errors(const domain::ConfigErrors& errors) {
    for (const domain::ConfigError& error : errors)
        std::fprintf(stderr, "%s\n", error.to_string().c_str());
}

int check_config(const std::string& file) {
    const ConfigLoadResult result = load_terminal_config(file);
    if (!result.config) {
        print_errors(result.errors);
        std::fprintf(stderr, "%s: %zu error%s\n", file.c_str(), result.errors.size(),
                     result.errors.size() == 1 ? "" : "s");
        return 1;
    }
    const TerminalConfig& c = *result.config;
    std::printf("%s: OK (terminal %s of store %s; %s reader on %s%s; %zu card range%s; data in %s)\n", file.c_str(),
                c.terminal_id.c_str(), c.store_id.c_str(), std::string{to_string(c.reader.kind)}.c_str(),
                c.reader.device.c_str(),
                c.reader.profile ? (" with profile \"" + c.reader.profile->name + "\"").c_str() : "",
                c.card_ranges.size(), c.card_ranges.size() == 1 ? "" : "s", c.storage.data_dir.c_str());
    return 0;
}

LocalStore open_store(const TerminalConfig& config) {
    LocalStore store(LocalStoreOptions{.data_dir = config.storage.data_dir,
                                       .disk_budget_bytes = config.storage.disk_budget_bytes,
                                       .terminal_id = config.terminal_id,
                                       .store_id = config.store_id});
    const OutboxStats outbox = store.outbox_stats();
    spdlog::info("local store {} open: schema version {}, {} event(s) awaiting head office, last sequence {}",
                 store.database_path().string(), store.schema_version(), outbox.depth, outbox.last_sequence);
    if (auto basket = store.open_basket()) {
        spdlog::info("open basket {} recovered with {} line(s)", basket->sale_id, basket->lines.size());
    }
    return store;
}

int run(const std::string& file, bool init_only) {
    const ConfigLoadResult result = load_terminal_config(file);
    if (!result.config) {
        print_errors(result.errors);
        spdlog::critical("configuration {} has {} error(s); not starting", file, result.errors.size());
        return 1;
    }
    const TerminalConfig& config = *result.config;
    spdlog::info("loyaltyd {} starting: terminal {} of store {}", domain::k_version, config.terminal_id,
                 config.store_id);
    if (init_only) {
        open_store(config);
        return 0;
    }
    Daemon daemon(config);
    return daemon.run();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"loyaltyd: loyalty-card terminal daemon (reads reward cards, records baskets, applies offers)"};
    app.set_version_flag("--version", std::string{loyalty::domain::k_version});
    std::string config_file;
    std::string check_file;
    bool init_only = false;
    std::string log_level = "info";
    auto* config_opt = app.add_option("--config", config_file, "terminal configuration (TOML) to run with");
    auto* check_opt = app.add_option("--check-config", check_file,
                                     "validate a configuration file: print OK or every error, then exit");
    app.add_flag("--init-store", init_only,
                 "prepare the data dir and database (create, migrate, integrity check), then exit")
        ->needs(config_opt);
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or critical")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical"}));
    config_opt->excludes(check_opt);
    CLI11_PARSE(app, argc, argv);
    if (config_file.empty() && check_file.empty()) {
        std::fprintf(stderr, "loyaltyd: give --config FILE to run, or --check-config FILE to validate one (--help)\n");
        return 2;
    }

    auto logger = spdlog::stderr_logger_mt("loyaltyd");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));

    if (!check_file.empty()) return check_config(check_file);
    try {
        return run(config_file, init_only);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
}
