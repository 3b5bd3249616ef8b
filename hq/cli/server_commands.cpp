// `loyalty-hq serve` (the sync server, the ingest and the profile refresher on one event loop
// until SIGTERM) and `loyalty-hq check-config`.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include "domain/version.hpp"
#include "hq/cli/commands.hpp"
#include "hq/ingest/ingest.hpp"
#include "hq/ingest/profile_refresher.hpp"

namespace loyalty::hq {
namespace {

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

}  // namespace

void add_server_commands(Commands& commands) {
    commands.add("", "serve", "accept terminals over mutual TLS: store their events, send offers",
                 [](CommandContext& context) { return serve(context.config()); });
    commands.add("", "check-config", "validate the configuration file, then exit", [](CommandContext& context) {
        const HqConfig& config = context.config();
        std::printf("%s: OK (listening on %s:%u, database %s, currency %s)\n", config.source.c_str(),
                    config.listen_address.c_str(), config.port, config.database.c_str(), config.currency.code.c_str());
        return 0;
    });
}

}  // namespace loyalty::hq
