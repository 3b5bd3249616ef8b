// Sync throughput over real TLS on loopback, head office's real ingest (group commit into SQLite,
// synchronous=FULL) and real SyncClients, in one process on two threads (server, clients):
//
//   sync_bench drain N        one terminal with a backlog of N events: time until all are acked
//   sync_bench fleet T E      T terminals connected, then E events each sent at once
//   sync_bench idle C         C terminals connected and idle: memory per connection (both sides)
//
// drain and fleet also insert the same rows into a bare SQLite table with a plain
// prepared-statement loop (one transaction, same durability) and print our ingest's ratio to it.
// The CA and head office's certificate come from firmware-config/pki/pki.sh; terminal
// certificates are issued in process (bench_pki.hpp), one key each; that setup is not measured.
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>

#include "bench/bench_pki.hpp"
#include "common/sqlite/database.hpp"
#include "hq/ingest/ingest.hpp"
#include "sync/client.hpp"
#include "sync/server.hpp"

namespace {

using namespace loyalty;
using Clock = std::chrono::steady_clock;

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

v1::Event make_event(const std::string& store, const std::string& terminal, std::uint64_t sequence) {
    v1::Event e;
    e.mutable_header()->set_store_id(store);
    e.mutable_header()->set_terminal_id(terminal);
    e.mutable_header()->set_sequence(sequence);
    e.mutable_header()->mutable_terminal_time()->set_seconds(1'795'000'000 + static_cast<std::int64_t>(sequence));
    auto* p = e.mutable_purchase();
    p->set_sale_id(terminal + "-" + std::to_string(sequence));
    std::int64_t subtotal = 0;
    for (int i = 1; i <= 4; ++i) {
        auto* line = p->add_lines();
        line->set_line_no(static_cast<std::uint32_t>(i));
        line->set_gtin("400638133393" + std::to_string(i));
        line->set_description("item");
        line->set_department(i % 2 ? "dairy" : "bakery");
        line->mutable_quantity()->set_units(2);
        line->mutable_unit_price()->set_minor_units(119);
        line->mutable_line_total()->set_minor_units(238);
        subtotal += 238;
    }
    p->mutable_subtotal()->set_minor_units(subtotal);
    p->mutable_total()->set_minor_units(subtotal);
    p->add_tenders()->mutable_amount()->set_minor_units(subtotal);
    return e;
}

// A terminal's outbox in memory.
struct Outbox : sync::ClientStore {
    std::vector<v1::Event> events;
    std::atomic<std::uint64_t> acked{0};
    std::uint64_t acked_through() override { return acked; }
    std::uint64_t last_sequence() override { return events.size(); }
    std::string database_id() override { return "bench"; }
    std::vector<v1::Event> events_after(std::uint64_t after, std::size_t limit) override {
        std::vector<v1::Event> out;
        for (std::uint64_t s = after + 1; s <= events.size() && out.size() < limit; ++s)
            out.push_back(events[s - 1]);
        return out;
    }
    void mark_acked(std::uint64_t through) override { acked = std::max<std::uint64_t>(acked, through); }
    std::uint64_t catalog_version() override { return 0; }
    void apply_catalog(const std::vector<v1::CatalogDelta>&) override {}
};

struct World {
    std::filesystem::path dir;
    std::filesystem::path ca;
    boost::asio::io_context server_io{1};
    boost::asio::io_context client_io{1};
    std::unique_ptr<hq::Ingest> ingest;
    std::unique_ptr<sync::SyncServer> server;
    std::thread server_thread;
    std::vector<std::unique_ptr<Outbox>> outboxes;
    std::vector<std::unique_ptr<sync::SyncClient>> clients;

    explicit World(int terminals) {
        dir = std::filesystem::temp_directory_path() / ("sync-bench-" + std::to_string(::getpid()));
        ca = dir / "ca";
        std::filesystem::create_directories(dir);
        const std::string pki = "bash '" + std::string(LOYALTY_SOURCE_DIR) + "/firmware-config/pki/pki.sh' ";
        auto sh = [](const std::string& command) {
            if (std::system((command + " >/dev/null").c_str()) != 0) throw std::runtime_error("failed: " + command);
        };
        sh(pki + "init '" + ca.string() + "'");
        sh(pki + "server '" + ca.string() + "' 127.0.0.1");
        const auto setup = Clock::now();
        std::vector<bench::TerminalName> names;
        for (int t = 0; t < terminals; ++t)
            names.push_back({"S" + std::to_string(t / 10), "T" + std::to_string(t)});
        bench::issue_terminal_certificates(ca, names);
        std::printf("setup: %d terminal certificates in %.1f s (not measured)\n", terminals,
                    std::chrono::duration<double>(Clock::now() - setup).count());
        ingest = std::make_unique<hq::Ingest>(hq::open_sqlite_storage(dir / "hq.db"),
                                              hq::open_sqlite_storage(dir / "hq.db"));
        sync::ServerOptions options;
        options.listen_address = "127.0.0.1";
        options.port = 0;
        options.tls = {ca / "ca.pem", ca / "server.pem", ca / "server.key", ca / "crl.pem"};
        server = std::make_unique<sync::SyncServer>(server_io, options, *ingest);
        server->start();
        server_thread = std::thread([this] { server_io.run(); });
        for (int t = 0; t < terminals; ++t) {
            auto& outbox = outboxes.emplace_back(std::make_unique<Outbox>());
            sync::ClientOptions c;
            c.host = "127.0.0.1";
            c.port = server->port();
            const std::string id = "T" + std::to_string(t);
            c.tls = {ca / "ca.pem", ca / (id + ".pem"), ca / (id + ".key"), {}};
            c.store_id = "S" + std::to_string(t / 10);
            c.terminal_id = id;
            c.software_version = "bench";
            clients.push_back(std::make_unique<sync::SyncClient>(client_io, c, *outbox));
        }
    }
    ~World() {
        boost::asio::post(server_io, [this] { server->stop(); });
        for (auto& c : clients)
            c->stop();
        server_io.stop();
        if (server_thread.joinable()) server_thread.join();
        ingest->stop();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    void fill(std::size_t per_terminal) {
        for (std::size_t t = 0; t < outboxes.size(); ++t) {
            auto& events = outboxes[t]->events;
            const std::string id = "T" + std::to_string(t);
            for (std::size_t i = events.size() + 1; events.size() < per_terminal; ++i)
                events.push_back(make_event("S" + std::to_string(t / 10), id, i));
        }
    }
    // Runs the client loop until `done` or `limit`.
    bool run_until(const std::function<bool()>& done, std::chrono::seconds limit) {
        const auto deadline = Clock::now() + limit;
        while (!done() && Clock::now() < deadline)
            client_io.run_for(std::chrono::milliseconds(5));
        return done();
    }
    std::size_t connected() {
        std::size_t n = 0;
        for (auto& c : clients)
            n += c->status().connected ? 1 : 0;
        return n;
    }
};

// The same rows, a plain prepared-statement loop, one transaction, same pragmas.
double raw_sqlite_rate(const std::filesystem::path& file, const std::vector<std::unique_ptr<Outbox>>& outboxes) {
    sqlite::Database db(file);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, terminal_id TEXT NOT NULL, sequence INTEGER NOT NULL, "
        "kind TEXT NOT NULL, body BLOB NOT NULL, UNIQUE (terminal_id, sequence))");
    const auto start = Clock::now();
    std::size_t n = 0;
    {
        sqlite::Transaction tx(db);
        auto insert = db.prepare("INSERT INTO events (terminal_id, sequence, kind, body) VALUES (?, ?, 'purchase', ?)");
        std::string body;
        for (const auto& outbox : outboxes) {
            for (const auto& e : outbox->events) {
                e.SerializeToString(&body);
                insert.reset();
                insert.bind(1, e.header().terminal_id())
                    .bind(2, static_cast<std::int64_t>(e.header().sequence()))
                    .bind_blob(3, body)
                    .run();
                ++n;
            }
        }
        tx.commit();
    }
    return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

int drain_or_fleet(int terminals, std::size_t per_terminal, bool connect_first) {
    World w(terminals);
    if (!connect_first) w.fill(per_terminal);
    for (auto& c : w.clients)
        c->start();
    if (connect_first) {
        if (!w.run_until([&] { return w.connected() == w.clients.size(); }, std::chrono::seconds(120))) {
            std::fprintf(stderr, "only %zu of %d terminals connected\n", w.connected(), terminals);
            return 1;
        }
        w.fill(per_terminal);
    }
    std::printf("sending\n");
    std::fflush(stdout);
    const auto start = Clock::now();
    if (connect_first) {
        for (auto& c : w.clients)
            c->wake();
    }
    const bool done = w.run_until(
        [&] {
            for (auto& o : w.outboxes)
                if (o->acked < per_terminal) return false;
            return true;
        },
        std::chrono::seconds(600));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double total = static_cast<double>(per_terminal) * terminals;
    if (!done) {
        std::fprintf(stderr, "not every event was acknowledged within 600 s\n");
        return 1;
    }
    const double ours = total / seconds;
    std::printf("%d terminal(s) x %zu events: %.0f events stored durably and acknowledged in %.2f s = %.0f events/s\n",
                terminals, per_terminal, total, seconds, ours);
    // Applied behind the journal: sales, lines, ledger, conflicts.
    const bool applied = w.run_until([&] { return w.ingest->stats().applied >= total; }, std::chrono::seconds(600));
    const double applied_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!applied) {
        std::fprintf(stderr, "not every event was applied within 600 s\n");
        return 1;
    }
    std::printf("all applied (sales, lines, ledger) %.2f s after the start = %.0f events/s end to end\n",
                applied_seconds, total / applied_seconds);
    const auto stats = w.ingest->stats();
    std::printf("group commit: %llu commits, %.1f events per commit; process RSS %.1f MiB\n",
                static_cast<unsigned long long>(stats.commits),
                static_cast<double>(stats.events) / static_cast<double>(std::max<std::uint64_t>(stats.commits, 1)),
                static_cast<double>(rss_kib()) / 1024.0);
    const double raw = raw_sqlite_rate(w.dir / "raw.db", w.outboxes);
    std::printf("the same rows by a plain prepared-statement loop into SQLite: %.0f events/s; ours is %.2fx of that\n",
                raw, ours / raw);
    return 0;
}

int idle(int terminals) {
    const long before = rss_kib();
    World w(terminals);
    const long built = rss_kib();
    for (auto& c : w.clients)
        c->start();
    if (!w.run_until([&] { return w.connected() == w.clients.size(); }, std::chrono::seconds(300))) {
        std::fprintf(stderr, "only %zu of %d terminals connected\n", w.connected(), terminals);
        return 1;
    }
    w.run_until([] { return false; }, std::chrono::seconds(2));
    const long after = rss_kib();
    std::printf(
        "%d idle TLS connections held (both ends in this process): RSS %.1f MiB before connecting, %.1f MiB "
        "after; %.1f KiB per connection for client and server together (process baseline %.1f MiB)\n",
        terminals, static_cast<double>(built) / 1024.0, static_cast<double>(after) / 1024.0,
        static_cast<double>(after - built) / terminals, static_cast<double>(before) / 1024.0);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "drain") return drain_or_fleet(1, argc > 2 ? std::stoul(argv[2]) : 100'000, false);
        if (mode == "fleet")
            return drain_or_fleet(argc > 2 ? std::stoi(argv[2]) : 1000, argc > 3 ? std::stoul(argv[3]) : 200, true);
        if (mode == "idle") return idle(argc > 2 ? std::stoi(argv[2]) : 10'000);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sync_bench: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: sync_bench drain N | fleet TERMINALS EVENTS | idle CONNECTIONS\n");
    return 2;
}
