// Head office's PostgreSQL schema: it applies to an empty database, and it has exactly the tables
// and columns of the SQLite backend's schema (so the two backends, `loyalty-hq migrate` between
// them and a BI tool's queries stay in step); the journal's monthly partitions are made on demand.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "common/postgres/connection.hpp"
#include "common/sqlite/database.hpp"
#include "hq/storage/postgres/schema.hpp"
#include "hq/storage/storage.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;

namespace {

using Columns = std::map<std::string, std::set<std::string>>;  // table -> column names

Columns sqlite_columns(const std::filesystem::path& file) {
    sqlite::Database db(file, sqlite::OpenMode::read_only);
    Columns out;
    auto tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    while (tables.step())
        out[tables.column_text(0)];
    for (auto& [table, columns] : out) {
        auto info = db.prepare("SELECT name FROM pragma_table_info(?)");
        info.bind(1, table);
        while (info.step())
            columns.insert(info.column_text(0));
    }
    return out;
}

Columns postgres_columns(pq::Connection& db) {
    Columns out;
    const pq::Result rows = db.query(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN pg_class k ON k.relname = "
        "c.table_name WHERE c.table_schema = 'public' AND NOT k.relispartition AND c.table_name != "
        "'schema_migrations'");
    for (int r = 0; r < rows.rows(); ++r)
        out[rows.text(r, 0)].insert(rows.text(r, 1));
    return out;
}

}  // namespace

TEST_CASE("head office's PostgreSQL schema applies and has the SQLite schema's tables and columns") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    CHECK(pq::migrate(db, hq::postgres_migrations(), "head office") ==
          static_cast<int>(hq::postgres_migrations().size()));
    CHECK(pq::schema_version(db) == static_cast<int>(hq::postgres_migrations().size()));
    CHECK(db.query_int64("SELECT value FROM meta WHERE key = 'catalog_version'") == 0);

    test::TempDir dir;
    (void)hq::open_sqlite_storage(dir / "hq.db");
    const Columns expected = sqlite_columns(dir / "hq.db");
    const Columns actual = postgres_columns(db);
    for (const auto& [table, columns] : expected) {
        INFO("table " << table);
        REQUIRE(actual.count(table) == 1);
        CHECK(actual.at(table) == columns);
    }
    for (const auto& [table, columns] : actual) {
        INFO("table " << table << " exists only on PostgreSQL");
        CHECK(expected.count(table) == 1);
    }
}

TEST_CASE("the journal's monthly partitions are made on demand, and events outside them still land") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    pq::migrate(db, hq::postgres_migrations(), "head office");
    const std::int64_t december_2026 = 1'796'083'200'000;  // 2026-12-01T00:00:00Z
    CHECK(db.query_int64("SELECT loyalty_event_partitions($1, 3)", pq::Params::of(december_2026 + 5)) == 3);
    CHECK(db.query_int64("SELECT loyalty_event_partitions($1, 3)", pq::Params::of(december_2026)) == 0);
    const auto insert =
        "INSERT INTO events (terminal_id, epoch, sequence, kind, store_id, terminal_time, received_at, body) "
        "VALUES ('S1-T1', 1, $1, 'purchase', 'S1', 0, $2, '\\x00')";
    db.query(insert, pq::Params::of(1, december_2026));
    db.query(insert, pq::Params::of(2, december_2026 - 1));  // November: no partition made for it
    CHECK(db.query_text("SELECT tableoid::regclass::text FROM events WHERE sequence = 1") == "events_2026_12");
    CHECK(db.query_text("SELECT tableoid::regclass::text FROM events WHERE sequence = 2") == "events_default");
    CHECK(db.query_int64("SELECT count(*) FROM events") == 2);
}
