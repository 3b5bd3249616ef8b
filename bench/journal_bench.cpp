// journal_bench EVENTS BATCH [POSTGRES_URL]: the journal's ack path alone, both backends side by
// side in one run. EVENTS purchases (~230 bytes each) of 10 terminals go in as group commits of
// BATCH events each (one batch per group: the ingest's worst case) through Journal::begin_journal,
// into SQLite (WAL, synchronous=FULL) and, when a URL is given, into PostgreSQL (its fsync setting
// printed). Beside each, the same rows inserted raw: a prepared INSERT loop on SQLite, a binary COPY
// on PostgreSQL, one transaction per BATCH rows. Prints events/s, the ratio to the raw path and the
// group commit's p50/p99.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_stats.hpp"
#include "common/postgres/connection.hpp"
#include "common/sqlite/database.hpp"
#include "hq/storage/postgres/postgres_journal.hpp"
#include "hq/storage/storage.hpp"

using namespace loyalty;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int k_terminals = 10;

std::string terminal_id(int t) {
    return "S0001-T" + std::to_string(10 + t);
}

// EVENTS purchases, dealt out to the terminals in turn, as batches of BATCH events of one terminal.
std::vector<std::pair<int, v1::EventBatch>> make_batches(int events, int batch) {
    std::vector<v1::EventBatch> per_terminal(k_terminals);
    for (int i = 0; i < events; ++i) {
        const int t = i % k_terminals;
        v1::Event& e = *per_terminal[static_cast<std::size_t>(t)].add_events();
        e.mutable_header()->set_terminal_id(terminal_id(t));
        e.mutable_header()->set_store_id("S0001");
        e.mutable_header()->set_sequence(static_cast<std::uint64_t>(i / k_terminals + 1));
        e.mutable_header()->mutable_terminal_time()->set_seconds(1'795'000'000 + i);
        auto& p = *e.mutable_purchase();
        p.set_sale_id(terminal_id(t) + "-K7Q2M-" + std::to_string(i / k_terminals + 1));
        p.set_loyalty_card("6036000000000013");
        for (int l = 1; l <= 2; ++l) {
            auto& line = *p.add_lines();
            line.set_line_no(static_cast<std::uint32_t>(l));
            line.set_gtin("400050000000" + std::to_string(l));
            line.set_department("dairy");
            line.set_description("Milk 1 l");
            line.mutable_quantity()->set_units(1);
            line.mutable_unit_price()->set_minor_units(119);
            line.mutable_line_total()->set_minor_units(119);
        }
        p.mutable_total()->set_minor_units(238);
        p.mutable_total()->set_currency("EUR");
    }
    std::vector<std::pair<int, v1::EventBatch>> out;
    for (int t = 0; t < k_terminals; ++t) {
        const auto& all = per_terminal[static_cast<std::size_t>(t)];
        for (int from = 0; from < all.events_size(); from += batch) {
            v1::EventBatch b;
            for (int i = from; i < std::min(all.events_size(), from + batch); ++i)
                *b.add_events() = all.events(i);
            out.emplace_back(t, std::move(b));
        }
    }
    return out;
}

double through_journal(hq::Journal& journal, const std::vector<std::pair<int, v1::EventBatch>>& batches, int events,
                       const char* name) {
    {
        const auto write = journal.begin_journal();
        for (int t = 0; t < k_terminals; ++t) {
            write->record_hello({.store_id = "S0001",
                                 .terminal_id = terminal_id(t),
                                 .database_id = "bench",
                                 .id_tag = "K7Q2M",
                                 .software_version = "bench",
                                 .acked_through = 0,
                                 .next_sequence = 1,
                                 .catalog_version = 0,
                                 .at = hq::Clock::now()});
        }
        write->commit();
    }
    bench::Samples groups;
    const auto start = Clock::now();
    for (const auto& [t, batch] : batches) {
        const auto before = Clock::now();
        const auto write = journal.begin_journal();
        write->store_batch(terminal_id(t), batch, hq::Clock::now());
        write->commit();
        groups.add(Clock::now() - before);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    groups.print(name);
    return events / seconds;
}

double raw_sqlite(const std::filesystem::path& file, const std::vector<std::pair<int, v1::EventBatch>>& batches,
                  int events) {
    sqlite::Database db(file);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, terminal_id TEXT NOT NULL, epoch INTEGER NOT NULL, sequence "
        "INTEGER NOT NULL, kind TEXT NOT NULL, store_id TEXT NOT NULL, terminal_time INTEGER NOT NULL, received_at "
        "INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE (terminal_id, epoch, sequence))");
    const auto start = Clock::now();
    std::string body;
    for (const auto& [t, batch] : batches) {
        sqlite::Transaction tx(db);
        auto& insert = db.cached("INSERT INTO events VALUES (NULL, ?, 1, ?, 'purchase', 'S0001', ?, ?, ?)");
        for (const auto& e : batch.events()) {
            e.SerializeToString(&body);
            insert.reset();
            insert.bind_all(terminal_id(t), static_cast<std::int64_t>(e.header().sequence()), std::int64_t{0},
                            std::int64_t{0});
            insert.bind_blob(5, body).run();
        }
        tx.commit();
    }
    return events / std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_copy(const std::string& url, const std::vector<std::pair<int, v1::EventBatch>>& batches, int events) {
    pq::Connection db(url);
    db.exec("DROP TABLE IF EXISTS raw_events");
    db.exec(
        "CREATE TABLE raw_events (id bigserial, terminal_id text NOT NULL, epoch bigint NOT NULL, sequence bigint NOT "
        "NULL, kind text NOT NULL, store_id text NOT NULL, terminal_time bigint NOT NULL, received_at bigint NOT "
        "NULL, body bytea NOT NULL, PRIMARY KEY (id))");
    const auto start = Clock::now();
    std::string body;
    for (const auto& [t, batch] : batches) {
        pq::Transaction tx(db);
        pq::CopyRows rows;
        for (const auto& e : batch.events()) {
            e.SerializeToString(&body);
            rows.row(8).text(terminal_id(t)).int64(1).int64(static_cast<std::int64_t>(e.header().sequence()));
            rows.text("purchase").text("S0001").int64(0).int64(0).bytes(body);
        }
        db.copy_in(
            "COPY raw_events (terminal_id, epoch, sequence, kind, store_id, terminal_time, received_at, body) FROM "
            "STDIN (FORMAT binary)",
            rows);
        tx.commit();
    }
    return events / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: journal_bench EVENTS BATCH [POSTGRES_URL]\n");
        return 2;
    }
    const int events = std::atoi(argv[1]);
    const int batch = std::atoi(argv[2]);
    if (events <= 0 || batch <= 0) {
        std::fprintf(stderr, "journal_bench: EVENTS and BATCH must be positive\n");
        return 2;
    }
    const auto batches = make_batches(events, batch);
    std::printf("journal_bench: %d events (%zu bytes each) of %d terminals in group commits of %d\n", events,
                batches.front().second.events(0).ByteSizeLong(), k_terminals, batch);
    const auto dir = std::filesystem::temp_directory_path() / ("journal-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        auto sqlite = hq::open_sqlite_storage(dir / "hq.db");
        const double ours = through_journal(*sqlite, batches, events, "sqlite journal: group commit");
        const double raw = raw_sqlite(dir / "raw.db", batches, events);
        std::printf("sqlite:     %9.0f events/s through the journal, raw insert loop %9.0f events/s, ratio %.2f\n",
                    ours, raw, ours / raw);
    }
    std::filesystem::remove_all(dir);
    if (argc > 3) {
        const std::string url = argv[3];
        pq::Connection check(url);
        std::printf("postgresql: fsync=%s synchronous_commit=%s\n", check.query_text("SHOW fsync")->c_str(),
                    check.query_text("SHOW synchronous_commit")->c_str());
        auto journal = hq::open_postgres_journal(url);
        const double ours = through_journal(*journal, batches, events, "postgresql journal: group commit");
        const double raw = raw_copy(url, batches, events);
        std::printf("postgresql: %9.0f events/s through the journal, raw COPY        %9.0f events/s, ratio %.2f\n",
                    ours, raw, ours / raw);
    }
    return 0;
}
