#include "terminal/daemon.hpp"

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <spdlog/spdlog.h>

#include "terminal/lane/lane.hpp"
#include "terminal/offers/catalog_offer_engine.hpp"
#include "terminal/offers/offer_validation.hpp"
#include "terminal/pos/pos_server.hpp"
#include "terminal/reader/reader_service.hpp"
#include "terminal/store/local_store.hpp"

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
void load_catalog(LocalStore& store, offers::CatalogOfferEngine& engine, const std::string& currency) {
    std::vector<v1::Offer> usable;
    for (auto& offer : store.load_offers()) {
        const std::string problem = offers::validate_offer(offer, currency);
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
          signals(io, SIGINT, SIGTERM) {}

    TerminalConfig config;
    boost::asio::io_context io{1};
    LocalStore store;
    offers::CatalogOfferEngine offers;
    Lane lane;
    PosServer server;
    ReaderService reader;
    boost::asio::signal_set signals;
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
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        d.reader.stop();
        d.server.stop();
        d.io.stop();
    });
    spdlog::info("ready");
    d.io.run();
    spdlog::info("stopped cleanly");
    return 0;
}

}  // namespace loyalty::terminal
