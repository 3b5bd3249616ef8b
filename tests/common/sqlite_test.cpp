// The SQLite wrapper and the migration runner, on temporary database files.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "common/sqlite/database.hpp"
#include "common/sqlite/migrations.hpp"
#include "tests/support/temp_dir.hpp"

using loyalty::sqlite::Database;
using loyalty::sqlite::Migration;
using loyalty::sqlite::Transaction;
using loyalty::test::TempDir;

namespace {

const Migration k_migrations[] = {
    {1, "items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"},
    {2, "prices", "ALTER TABLE items ADD COLUMN price INTEGER NOT NULL DEFAULT 0;"},
    {3, "stock", "CREATE TABLE stock (item INTEGER NOT NULL REFERENCES items (id), units INTEGER NOT NULL);"},
};

std::int64_t count(Database& db, const std::string& table) {
    return db.query_int64("SELECT count(*) FROM " + table).value();
}

}  // namespace

TEST_CASE("statements bind, step and read back every column type") {
    TempDir dir;
    Database db(dir / "t.db");
    db.exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)");
    const std::string blob("\0\1\2\xff", 4);
    db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        .bind(1, std::int64_t{-42})
        .bind(2, "h\xc3\xa9")
        .bind_blob(3, blob)
        .bind(4, nullptr)
        .run();
    auto select = db.prepare("SELECT i, s, b, n FROM t");
    REQUIRE(select.step());
    CHECK(select.column_int64(0) == -42);
    CHECK(select.column_text(1) == "h\xc3\xa9");
    CHECK(select.column_blob(2) == blob);
    CHECK(select.column_is_null(3));
    CHECK_FALSE(select.column_optional_text(3).has_value());
    CHECK_FALSE(select.step());
}

TEST_CASE("a failing statement throws an error naming the SQL and SQLite's reason") {
    TempDir dir;
    Database db(dir / "t.db");
    db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
    db.prepare("INSERT INTO t VALUES ('a')").run();
    try {
        db.prepare("INSERT INTO t VALUES ('a')").run();
        FAIL("duplicate key was accepted");
    } catch (const loyalty::sqlite::Error& e) {
        CHECK(e.is_constraint_violation());
        CHECK(e.code().category() == loyalty::sqlite::sqlite_category());
        CHECK_THAT(e.what(), Catch::Contains("INSERT INTO t VALUES ('a')") && Catch::Contains("UNIQUE"));
    }
    CHECK_THROWS_WITH(db.prepare("SELEKT 1"), Catch::Contains("SELEKT 1") && Catch::Contains("syntax error"));
    CHECK_THROWS_WITH(db.prepare("SELECT 1; SELECT 2"), Catch::Contains("more than one statement"));
}

TEST_CASE("cached statements are prepared once and come back reset, with no bindings") {
    TempDir dir;
    Database db(dir / "t.db");
    db.exec("CREATE TABLE t (v INTEGER)");
    auto* first = &db.cached("INSERT INTO t VALUES (?)");
    first->bind(1, std::int64_t{1}).run();
    // Bound but never run: the next user must not inherit the binding.
    db.cached("INSERT INTO t VALUES (?)").bind(1, std::int64_t{100});
    auto* again = &db.cached("INSERT INTO t VALUES (?)");
    CHECK(first == again);
    again->run();
    CHECK(db.query_int64("SELECT count(*) FROM t WHERE v IS NULL") == 1);
    CHECK(db.query_int64("SELECT sum(v) FROM t") == 1);
    // A select left half-read starts again from its first row.
    db.exec("INSERT INTO t VALUES (2), (3)");
    auto& select = db.cached("SELECT v FROM t WHERE v IS NOT NULL ORDER BY v");
    REQUIRE(select.step());
    CHECK(select.column_int64(0) == 1);
    auto& restarted = db.cached("SELECT v FROM t WHERE v IS NOT NULL ORDER BY v");
    REQUIRE(restarted.step());
    CHECK(restarted.column_int64(0) == 1);
}

TEST_CASE("a transaction left by an exception is rolled back, a committed one stays") {
    TempDir dir;
    Database db(dir / "t.db");
    db.exec("CREATE TABLE t (v INTEGER NOT NULL)");
    {
        Transaction tx(db);
        db.prepare("INSERT INTO t VALUES (1)").run();
        tx.commit();
    }
    try {
        Transaction tx(db);
        db.prepare("INSERT INTO t VALUES (2)").run();
        db.prepare("INSERT INTO t VALUES (3)").run();
        throw std::runtime_error("power cut in the middle");
    } catch (const std::runtime_error&) {
    }
    CHECK(count(db, "t") == 1);
    // A statement failing inside the transaction rolls back the rows before it, too.
    CHECK_THROWS_AS(
        [&] {
            Transaction tx(db);
            db.prepare("INSERT INTO t VALUES (4)").run();
            db.prepare("INSERT INTO t VALUES (NULL)").run();
            tx.commit();
        }(),
        loyalty::sqlite::Error);
    CHECK(count(db, "t") == 1);
    // And the connection is usable afterwards.
    Transaction tx(db);
    db.prepare("INSERT INTO t VALUES (5)").run();
    tx.commit();
    CHECK(count(db, "t") == 2);
}

TEST_CASE("migrations run from an empty database to the newest version") {
    TempDir dir;
    Database db(dir / "m.db");
    CHECK(loyalty::sqlite::schema_version(db) == 0);
    CHECK(loyalty::sqlite::migrate(db, k_migrations) == 3);
    CHECK(loyalty::sqlite::schema_version(db) == 3);
    CHECK(loyalty::sqlite::migrate(db, k_migrations) == 0);  // idempotent
}

TEST_CASE("migrations run from each earlier version and keep the data") {
    for (int start = 1; start <= 2; ++start) {
        INFO("starting at version " << start);
        TempDir dir;
        {
            Database db(dir / "m.db");
            REQUIRE(loyalty::sqlite::migrate(db, k_migrations, start) == start);
            db.exec("INSERT INTO items (id, name) VALUES (1, 'milk')");
        }
        Database db(dir / "m.db");
        CHECK(loyalty::sqlite::schema_version(db) == start);
        CHECK(loyalty::sqlite::migrate(db, k_migrations) == 3 - start);
        CHECK(db.query_text("SELECT name FROM items WHERE id = 1") == "milk");
        db.exec("INSERT INTO stock VALUES (1, 5)");
        CHECK(db.query_int64("SELECT price FROM items WHERE id = 1") == 0);
    }
}

TEST_CASE("a failing migration is rolled back whole and the earlier ones stay") {
    TempDir dir;
    Database db(dir / "m.db");
    const Migration broken[] = {
        k_migrations[0],
        {2, "half-done", "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);"},
    };
    CHECK_THROWS_WITH(loyalty::sqlite::migrate(db, broken), Catch::Contains("nowhere"));
    CHECK(loyalty::sqlite::schema_version(db) == 1);
    CHECK(db.query_int64("SELECT count(*) FROM sqlite_master WHERE name = 'half'") == 0);
}

TEST_CASE("a database from a newer version is refused and left untouched") {
    TempDir dir;
    Database db(dir / "m.db");
    loyalty::sqlite::migrate(db, k_migrations);
    db.exec("PRAGMA user_version = 9");
    CHECK_THROWS_WITH(loyalty::sqlite::migrate(db, k_migrations),
                      Catch::Contains("schema version 9") && Catch::Contains("newer than version 3"));
    CHECK(loyalty::sqlite::schema_version(db) == 9);
}

TEST_CASE("a migration list with a gap is refused") {
    TempDir dir;
    Database db(dir / "m.db");
    const Migration gap[] = {k_migrations[0], k_migrations[2]};
    CHECK_THROWS_AS(loyalty::sqlite::migrate(db, gap), loyalty::sqlite::SchemaError);
    CHECK(loyalty::sqlite::schema_version(db) == 0);
}
