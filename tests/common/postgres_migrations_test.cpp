// Versioned migrations on a real PostgreSQL: applied once each with their row in
// schema_migrations, a failing one rolled back whole, a database from a newer program refused.
#include <catch2/catch.hpp>

#include "common/postgres/connection.hpp"
#include "common/postgres/migrations.hpp"
#include "tests/support/postgres.hpp"

using namespace loyalty;

namespace {

bool table_exists(pq::Connection& db, const std::string& table) {
    return db.query_text("SELECT to_regclass($1)::text", pq::Params::of(table)).has_value();
}

}  // namespace

TEST_CASE("migrations are applied once each, in order, and a failing one leaves the version where it was") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    CHECK(pq::schema_version(db) == 0);
    const pq::Migration two[] = {{1, "first", "CREATE TABLE a (id bigint PRIMARY KEY)"},
                                 {2, "second", "CREATE TABLE b (id bigint); INSERT INTO b VALUES (1)"}};
    CHECK(pq::migrate(db, two, "test") == 2);
    CHECK(pq::schema_version(db) == 2);
    CHECK(table_exists(db, "a"));
    CHECK(db.query_int64("SELECT count(*) FROM b") == 1);
    CHECK(db.query_text("SELECT name FROM schema_migrations WHERE version = 2") == "second");
    CHECK(pq::migrate(db, two, "test") == 0);  // nothing left to do
    CHECK(db.query_int64("SELECT count(*) FROM b") == 1);

    const pq::Migration three[] = {two[0], two[1], {3, "broken", "CREATE TABLE c (id bigint); SELECT * FROM nowhere"}};
    CHECK_THROWS_AS(pq::migrate(db, three, "test"), pq::Error);
    CHECK(pq::schema_version(db) == 2);
    CHECK_FALSE(table_exists(db, "c"));  // rolled back with the statement that failed
}

TEST_CASE("a database a newer program migrated is refused, and so is a list with a hole") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    const pq::Migration one[] = {{1, "first", "CREATE TABLE a (id bigint PRIMARY KEY)"}};
    pq::migrate(db, one, "head office");
    db.exec("INSERT INTO schema_migrations (version, name) VALUES (7, 'from the future')");
    CHECK_THROWS_WITH(pq::migrate(db, one, "head office"),
                      Catch::Contains("the head office database is at schema version 7, newer than this program "
                                      "knows (1)"));
    const pq::Migration hole[] = {{1, "first", "SELECT 1"}, {3, "third", "SELECT 1"}};
    CHECK_THROWS_AS(pq::migrate(db, hole, "test"), pq::SchemaError);
}
