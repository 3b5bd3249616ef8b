#include "terminal/daemon.hpp"

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <spdlog/spdlog.h>

#include "domain/offers/catalog_offer_engine.hpp"
#include "domain/offers/offer_validation.hpp"
#include "domain/version.hpp"
#include "terminal/lane/lane.hpp"
#include "terminal/pos/pos_server.hpp"
#include "terminal/reader/reader_service.hpp"
#include "terminal/store/local_store.hpp"
#include "terminal/sync/outbox_sync.hpp"

namespace loyalty::terminal {
namespace {

// Many POS clients at once need file descriptors: take the hard limit.
void raise_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Loads the catalog cache into the offer engine; an offer the cache holds but this release
// cannot use is left out with an error in the log, not applied half-understood.
void load_catalog(LocalStore& store, domain::offers::CatalogOfferEngine& engine, const std::string& currency) {
    std::vector<v1::Offer> usable;
    for (auto& offer : store.load_offers()) {
        const std::string problem = domain::offers::validate_offer(offer, currency);
        if (!problem.empty()) {
            spdlog::error("catalog: {} (left out)", problem);
            continue;
        }
        usable.push_back(std::move(offer));
    }
    spdlog::info("catalog: {} live offer(s)", usable.size());
    engine.load(std::move(usable), store.load_points_rules());
}

}  // namespace

struct Daemon::Impl {
    explicit Impl(TerminalConfig c)
        : config(std::move(c)),
          store(LocalStoreOptions{.data_dir = config.storage.data_dir,
                                  .disk_budget_bytes = config.storage.disk_budget_bytes,
                                  .terminal_id = config.terminal_id,
                                  .store_id = config.store_id}),
          offers(config.store_id, config.currency, config.minor_unit_exponent, config.time_zone),
          lane(config, store, offers),
          server(io, config.pos, lane),
          reader(io, config, lane),
          signals(io, SIGINT, SIGTERM),
          outbox(store, config.currency),
          prune_timer(io),
          sync_timer(io) {}

    TerminalConfig config;
    boost::asio::io_context io{1};
    LocalStore store;
    domain::offers::CatalogOfferEngine offers;
    Lane lane;
    PosServer server;
    ReaderService reader;
    boost::asio::signal_set signals;
    OutboxSync outbox;
    std::unique_ptr<sync::SyncClient> client;  // none without a [head_office] table
    boost::asio::steady_timer prune_timer;
    boost::asio::steady_timer sync_timer;  // retries a client whose TLS files cannot be used yet

    // Acknowledged events, sales and returns older than the retention period go, hourly.
    void prune() {
        try {
            const auto cutoff = Clock::now() - std::chrono::hours(24) * config.storage.retention_days;
            if (const std::size_t pruned = store.prune_acked(cutoff); pruned > 0) {
                spdlog::info("outbox: {} acknowledged event(s) past the retention period removed", pruned);
            }
        } catch (const std::exception& e) {
            spdlog::error("outbox: pruning failed (tried again in an hour): {}", e.what());
        }
        prune_timer.expires_after(std::chrono::hours(1));
        prune_timer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) prune();
        });
    }

    // Sync starts when [head_office] is configured. Certificates that cannot be used (not installed
    // yet, unreadable) never stop the till: it sells offline, says why in status, and tries again
    // every minute.
    void start_sync() {
        if (config.head_office.host.empty()) {
            spdlog::warn("no [head_office] configured: sales stay in the outbox until one is");
            return;
        }
        try {
            sync::ClientOptions options;
            options.host = config.head_office.host;
            options.port = config.head_office.port;
            options.tls = sync::TlsFiles{.ca_file = config.head_office.ca_file,
                                         .cert_file = config.head_office.cert_file,
                                         .key_file = config.head_office.key_file,
                                         .crl_file = config.head_office.crl_file};
            options.crl_state_file = config.storage.data_dir / "revocation-list.crl";
            options.store_id = config.store_id;
            options.terminal_id = config.terminal_id;
            options.software_version = std::string{domain::k_version};
            client = std::make_unique<sync::SyncClient>(io, std::move(options), outbox);
        } catch (const std::exception& e) {
            spdlog::error("sync: {}; selling offline, trying again in a minute", e.what());
            lane.set_link_state(v1::LINK_STATE_OFFLINE, e.what());
            sync_timer.expires_after(std::chrono::minutes(1));
            sync_timer.async_wait([this](const boost::system::error_code& ec) {
                if (!ec) start_sync();
            });
            return;
        }
        lane.set_event_listener([this] { client->wake(); });
        lane.set_link_state(v1::LINK_STATE_CONNECTING);
        client->on_state_change([this](bool up) {
            lane.set_link_state(up ? v1::LINK_STATE_CONNECTED : v1::LINK_STATE_OFFLINE,
                                up ? std::string{} : client->status().last_error);
        });
        client->on_acknowledged([this](std::uint64_t) { lane.set_last_ack(Clock::now()); });
        client->on_catalog_applied([this] { load_catalog(store, offers, config.currency); });
        client->start();
    }
};

Daemon::Daemon(TerminalConfig config) {
    raise_file_limit();
    impl_ = std::make_unique<Impl>(std::move(config));
}

Daemon::~Daemon() = default;

int Daemon::run() {
    Impl& d = *impl_;
    const OutboxStats outbox = d.store.outbox_stats();
    spdlog::info("local store {}: schema version {}, {} event(s) awaiting head office",
                 d.store.database_path().string(), d.store.schema_version(), outbox.depth);
    if (d.lane.basket_open()) spdlog::info("an open basket was recovered");
    load_catalog(d.store, d.offers, d.config.currency);
    d.lane.set_catalog_listener([&d] { load_catalog(d.store, d.offers, d.config.currency); });
    d.lane.set_publisher([&d](const v1::PosEvent& event) { d.server.publish(event); });
    d.server.start();
    d.reader.start();
    d.prune();
    d.start_sync();
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        d.reader.stop();
        d.server.stop();
        if (d.client) d.client->stop();
        d.prune_timer.cancel();
        d.sync_timer.cancel();
        d.io.stop();
    });
    spdlog::info("ready");
    d.io.run();
    spdlog::info("stopped cleanly");
    return 0;
}

}  // namespace loyalty::terminal
