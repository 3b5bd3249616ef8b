// Sync throughput over real TLS on loopback, head office's real ingest (group commit into SQLite,
// synchronous=FULL) and real SyncClients, in one process on two threads (server, clients):
//
//   sync_bench drain N        one terminal with a backlog of N events: time until all are acked
//   sync_bench fleet T E      T terminals connected, then E events each sent at once
//   sync_bench idle C         C terminals connected and idle: head office's memory per connection
//                             (the terminals run in a child process)
//
// drain and fleet also insert the same rows into a bare SQLite table with a plain
// prepared-statement loop (one transaction, same durability) and print our ingest's ratio to it.
// The CA and head office's certificate come from firmware-config/pki/pki.sh; terminal
// certificates are issued in process (bench_pki.hpp), one key each; that setup is not measured.
#include <fcntl.h>
#include <malloc.h>
#include <sys/wait.h>
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
#include <google/protobuf/util/time_util.h>
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

// Bytes the heap has handed out and not had back (RSS also counts what was freed but kept).
long heap_in_use_kib() {
    return static_cast<long>(::mallinfo2().uordblks / 1024);
}

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
    std::string id_tag() override { return "BENCH"; }
    std::vector<v1::Event> events_after(std::uint64_t after, std::size_t limit) override {
        std::vector<v1::Event> out;
        for (std::uint64_t s = after + 1; s <= events.size() && out.size() < limit; ++s)
            out.push_back(events[s - 1]);
        return out;
    }
    void mark_acked(std::uint64_t through) override { acked = std::max<std::uint64_t>(acked, through); }
    std::size_t reopen_after(std::uint64_t after) override {
        const std::uint64_t was = acked;
        acked = std::min(was, after);
        return was > after ? was - after : 0;
    }
    void restored_from_backup() override {}
    std::uint64_t catalog_version() override { return 0; }
    void apply_catalog(const std::vector<v1::CatalogDelta>&) override {}
};

// A demo chain's PKI in a temporary directory: CA and head office's certificate by pki.sh,
// terminal T<n> of store S<n/10> issued in process.
struct Pki {
    std::filesystem::path dir;
    std::filesystem::path ca;

    explicit Pki(int terminals) {
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
            names.push_back({store_of(t), terminal_of(t)});
        bench::issue_terminal_certificates(ca, names);
        std::printf("setup: %d terminal certificates in %.1f s (not measured)\n", terminals,
                    std::chrono::duration<double>(Clock::now() - setup).count());
    }
    Pki(const Pki&) = delete;
    Pki& operator=(const Pki&) = delete;
    ~Pki() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    static std::string store_of(int t) { return "S" + std::to_string(t / 10); }
    static std::string terminal_of(int t) { return "T" + std::to_string(t); }

    sync::ServerOptions server_options() const {
        sync::ServerOptions options;
        options.listen_address = "127.0.0.1";
        options.port = 0;
        options.tls = {ca / "ca.pem", ca / "server.pem", ca / "server.key", ca / "crl.pem"};
        return options;
    }
    sync::ClientOptions client_options(int t, std::uint16_t port) const {
        sync::ClientOptions c;
        c.host = "127.0.0.1";
        c.port = port;
        const std::string id = terminal_of(t);
        c.tls = {ca / "ca.pem", ca / (id + ".pem"), ca / (id + ".key"), {}};
        c.store_id = store_of(t);
        c.terminal_id = id;
        c.software_version = "bench";
        return c;
    }
};

// Head office (ingest + server on its own thread) in this process.
struct HeadOffice {
    boost::asio::io_context io{1};
    std::unique_ptr<hq::Ingest> ingest;
    std::unique_ptr<sync::SyncServer> server;
    std::thread thread;

    HeadOffice(const Pki& pki) {
        ingest = std::make_unique<hq::Ingest>(hq::open_sqlite_storage(pki.dir / "hq.db"),
                                              hq::open_sqlite_storage(pki.dir / "hq.db"));
        server = std::make_unique<sync::SyncServer>(io, pki.server_options(), *ingest);
        server->start();
        thread = std::thread([this] { io.run(); });
    }
    HeadOffice(const HeadOffice&) = delete;
    HeadOffice& operator=(const HeadOffice&) = delete;
    ~HeadOffice() {
        boost::asio::post(io, [this] { server->stop(); });
        io.stop();
        if (thread.joinable()) thread.join();
        ingest->stop();
    }
};

// Terminals (SyncClients over in-memory outboxes), run by the calling thread.
struct Fleet {
    boost::asio::io_context io{1};
    std::vector<std::unique_ptr<Outbox>> outboxes;
    std::vector<std::unique_ptr<sync::SyncClient>> clients;

    Fleet(const Pki& pki, int terminals, std::uint16_t port) {
        for (int t = 0; t < terminals; ++t) {
            auto& outbox = outboxes.emplace_back(std::make_unique<Outbox>());
            clients.push_back(std::make_unique<sync::SyncClient>(io, pki.client_options(t, port), *outbox));
        }
    }
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;
    ~Fleet() {
        for (auto& c : clients)
            c->stop();
    }
    void fill(std::size_t per_terminal) {
        for (std::size_t t = 0; t < outboxes.size(); ++t) {
            auto& events = outboxes[t]->events;
            const int n = static_cast<int>(t);
            for (std::size_t i = events.size() + 1; events.size() < per_terminal; ++i)
                events.push_back(make_event(Pki::store_of(n), Pki::terminal_of(n), i));
        }
    }
    // Runs the client loop until `done` or `limit`.
    bool run_until(const std::function<bool()>& done, std::chrono::seconds limit) {
        const auto deadline = Clock::now() + limit;
        while (!done() && Clock::now() < deadline)
            io.run_for(std::chrono::milliseconds(5));
        return done();
    }
    std::size_t connected() {
        std::size_t n = 0;
        for (auto& c : clients)
            n += c->status().connected ? 1 : 0;
        return n;
    }
    // Starts the clients in waves of `wave` (a fleet coming up after an outage reconnects with
    // jitter, not all in the same millisecond); false when they did not all connect.
    bool connect(std::size_t wave, std::chrono::seconds limit) {
        for (std::size_t started = 0; started < clients.size();) {
            const std::size_t until = std::min(clients.size(), started + wave);
            for (; started < until; ++started)
                clients[started]->start();
            if (!run_until([&] { return connected() == until; }, limit)) return false;
        }
        return true;
    }
};

struct World {
    Pki pki;
    HeadOffice head_office;
    Fleet fleet;
    explicit World(int terminals)
        : pki(terminals), head_office(pki), fleet(pki, terminals, head_office.server->port()) {}
};

// The same rows, a plain prepared-statement loop, one transaction, same pragmas: head office's
// journal table (the same columns and unique key) and the same values.
double raw_sqlite_rate(const std::filesystem::path& file, const std::vector<std::unique_ptr<Outbox>>& outboxes) {
    sqlite::Database db(file);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, terminal_id TEXT NOT NULL, epoch INTEGER NOT NULL, "
        "sequence INTEGER NOT NULL, kind TEXT NOT NULL, store_id TEXT NOT NULL, terminal_time INTEGER NOT NULL, "
        "received_at INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE (terminal_id, epoch, sequence))");
    const auto start = Clock::now();
    std::size_t n = 0;
    {
        sqlite::Transaction tx(db);
        auto insert = db.prepare(
            "INSERT INTO events (terminal_id, epoch, sequence, kind, store_id, terminal_time, received_at, body) "
            "VALUES (?, 1, ?, 'purchase', ?, ?, ?, ?)");
        std::string body;
        const std::int64_t now = sqlite::to_unix_ms(std::chrono::system_clock::now());
        for (const auto& outbox : outboxes) {
            for (const auto& e : outbox->events) {
                e.SerializeToString(&body);
                insert.reset();
                insert.bind(1, e.header().terminal_id())
                    .bind(2, static_cast<std::int64_t>(e.header().sequence()))
                    .bind(3, e.header().store_id())
                    .bind(4, google::protobuf::util::TimeUtil::TimestampToMilliseconds(e.header().terminal_time()))
                    .bind(5, now)
                    .bind_blob(6, body)
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
    Fleet& fleet = w.fleet;
    hq::Ingest& ingest = *w.head_office.ingest;
    if (connect_first) {
        if (!fleet.connect(500, std::chrono::seconds(120))) {
            std::fprintf(stderr, "only %zu of %d terminals connected\n", fleet.connected(), terminals);
            return 1;
        }
    }
    fleet.fill(per_terminal);
    std::printf("sending\n");
    std::fflush(stdout);
    const auto start = Clock::now();
    for (auto& c : fleet.clients)
        connect_first ? c->wake() : c->start();
    const bool done = fleet.run_until(
        [&] {
            for (auto& o : fleet.outboxes)
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
    const bool applied = fleet.run_until([&] { return ingest.stats().applied >= total; }, std::chrono::seconds(600));
    const double applied_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!applied) {
        std::fprintf(stderr, "not every event was applied within 600 s\n");
        return 1;
    }
    std::printf("all applied (sales, lines, ledger) %.2f s after the start = %.0f events/s end to end\n",
                applied_seconds, total / applied_seconds);
    const auto stats = ingest.stats();
    std::printf("group commit: %llu commits, %.1f events per commit; process RSS %.1f MiB\n",
                static_cast<unsigned long long>(stats.commits),
                static_cast<double>(stats.events) / static_cast<double>(std::max<std::uint64_t>(stats.commits, 1)),
                static_cast<double>(rss_kib()) / 1024.0);
    const double raw = raw_sqlite_rate(w.pki.dir / "raw.db", fleet.outboxes);
    std::printf("the same rows by a plain prepared-statement loop into SQLite: %.0f events/s; ours is %.2fx of that\n",
                raw, ours / raw);
    return 0;
}

// What the terminals' process tells head office's.
struct IdleReport {
    long connected;
    long rss_before_kib;
    long rss_after_kib;
    double seconds;
};

// Head office in this process, the terminals in a child process (each side has its own file
// descriptors, 10,000 sockets each, and its own memory figure).
int idle(int terminals) {
    Pki pki(terminals);
    int port_pipe[2];
    int report_pipe[2];
    if (::pipe(port_pipe) != 0 || ::pipe(report_pipe) != 0) throw std::runtime_error("pipe failed");
    const pid_t child = ::fork();  // before any thread starts
    if (child < 0) throw std::runtime_error("fork failed");
    if (child == 0) {
        ::close(port_pipe[1]);
        ::close(report_pipe[0]);
        std::uint16_t port = 0;
        if (::read(port_pipe[0], &port, sizeof port) != sizeof port) ::_exit(1);
        IdleReport report{};
        report.rss_before_kib = rss_kib();
        {
            Fleet fleet(pki, terminals, port);
            const auto start = Clock::now();
            fleet.connect(500, std::chrono::seconds(120));
            report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
            report.connected = static_cast<long>(fleet.connected());
            fleet.run_until([] { return false; }, std::chrono::seconds(2));
            report.rss_after_kib = rss_kib();
            if (::write(report_pipe[1], &report, sizeof report) != sizeof report) ::_exit(1);
            // Idle (heartbeats only) until head office has measured and closes the pipe.
            char byte = 0;
            ::fcntl(port_pipe[0], F_SETFL, O_NONBLOCK);
            fleet.run_until([&] { return ::read(port_pipe[0], &byte, 1) == 0; }, std::chrono::seconds(120));
        }
        ::_exit(0);
    }
    ::close(port_pipe[0]);
    ::close(report_pipe[1]);
    const long before = rss_kib();
    HeadOffice head_office(pki);
    const long serving = rss_kib();
    const long heap_serving = heap_in_use_kib();
    const std::uint16_t port = head_office.server->port();
    if (::write(port_pipe[1], &port, sizeof port) != sizeof port) throw std::runtime_error("pipe write failed");
    IdleReport report{};
    if (::read(report_pipe[0], &report, sizeof report) != sizeof report) throw std::runtime_error("terminals failed");
    std::this_thread::sleep_for(std::chrono::seconds(3));  // idle: heartbeats only
    const long held = rss_kib();
    const long heap_held = heap_in_use_kib();
    ::close(port_pipe[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::printf("%ld of %d terminals connected over TLS 1.3 in %.1f s (waves of 500)\n", report.connected, terminals,
                report.seconds);
    std::printf(
        "head office: RSS %.1f MiB serving, %.1f MiB holding %ld idle connections = %.1f KiB per connection "
        "(process before serving %.1f MiB)\n",
        static_cast<double>(serving) / 1024.0, static_cast<double>(held) / 1024.0, report.connected,
        static_cast<double>(held - serving) / static_cast<double>(std::max(report.connected, 1L)),
        static_cast<double>(before) / 1024.0);
    std::printf("head office's heap in use: %.1f KiB per connection\n",
                static_cast<double>(heap_held - heap_serving) / static_cast<double>(std::max(report.connected, 1L)));
    std::printf("terminals' side (one process for all): %.1f KiB per client connection\n",
                static_cast<double>(report.rss_after_kib - report.rss_before_kib) /
                    static_cast<double>(std::max(report.connected, 1L)));
    return report.connected == terminals ? 0 : 1;
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
