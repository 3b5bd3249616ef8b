// The libpq wrapper against a real PostgreSQL 15 (the throw-away server CTest starts): typed
// parameters and results (NULL, bytea with zero bytes, 64-bit integers), statements prepared once
// per connection, transactions rolled back unless committed, errors with their SQLSTATE, and URLs
// in messages without their password.
#include "tests/support/postgres.hpp"

#include <catch2/catch.hpp>

#include "common/postgres/connection.hpp"

using namespace loyalty;

TEST_CASE("the test server is durable: fsync and synchronous commit on") {
    pq::Connection db(test::postgres_server_url());
    CHECK(db.query_text("SHOW fsync") == "on");
    CHECK(db.query_text("SHOW synchronous_commit") == "on");
    CHECK(db.query_text("SELECT current_setting('server_version_num')")->substr(0, 2) == "15");
}

TEST_CASE("parameters and results keep their types: NULL, bytes with zeros, 64-bit integers, text") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, name text, body bytea, share double precision, flag boolean)");
    const std::string bytes("\0\x01\xff\x00z", 5);
    const auto insert = "INSERT INTO t (id, name, body, share, flag) VALUES ($1, $2, $3, $4, $5)";
    pq::Params first = pq::Params::of(std::int64_t{9'007'199'254'740'993}, std::string{"Zoë"});
    first.add_bytes(bytes).add(0.1).add(true);
    CHECK(db.query(insert, first).affected() == 1);
    pq::Params second = pq::Params::of(std::int64_t{-1}, nullptr);
    second.add(nullptr).add(nullptr).add(false);
    CHECK(db.query(insert, second).affected() == 1);

    const pq::Result rows = db.query("SELECT id, name, body, share, flag FROM t ORDER BY id DESC");
    REQUIRE(rows.rows() == 2);
    CHECK(rows.int64(0, 0) == 9'007'199'254'740'993);
    CHECK(rows.text(0, 1) == "Zoë");
    CHECK(rows.bytes(0, 2) == bytes);
    CHECK(rows.real(0, 3) == 0.1);
    CHECK(rows.boolean(0, 4));
    CHECK(rows.int64(1, 0) == -1);
    CHECK(rows.is_null(1, 1));
    CHECK_FALSE(rows.optional_text(1, 1).has_value());
    CHECK(rows.is_null(1, 2));
    CHECK_FALSE(rows.boolean(1, 4));
    CHECK_THROWS_WITH(rows.text(2, 0), Catch::Contains("no row 2"));
    CHECK_THROWS_WITH(rows.int64(0, 1), Catch::Contains("not an integer"));
    CHECK(db.query_int64("SELECT count(*) FROM t WHERE id > $1", pq::Params::of(0)) == 1);
    CHECK_FALSE(db.query_int64("SELECT id FROM t WHERE id = $1", pq::Params::of(42)).has_value());
}

TEST_CASE("a transaction rolls back unless committed, and a failed one cannot be committed") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
    {
        pq::Transaction tx(db);
        db.query("INSERT INTO t VALUES ($1)", pq::Params::of(1));
    }  // dropped without commit
    CHECK(db.query_int64("SELECT count(*) FROM t") == 0);
    {
        pq::Transaction tx(db);
        db.query("INSERT INTO t VALUES ($1)", pq::Params::of(2));
        tx.commit();
    }
    CHECK(db.query_int64("SELECT count(*) FROM t") == 1);
    pq::Transaction failed(db);
    try {
        db.query("INSERT INTO t VALUES ($1)", pq::Params::of(2));
        FAIL("a duplicate key was accepted");
    } catch (const pq::Error& e) {
        CHECK(e.is_unique_violation());
        CHECK(e.sqlstate_class() == "23");
        CHECK_THAT(e.what(), Catch::Contains("duplicate key"));
    }
    try {
        failed.commit();
        FAIL("a failed transaction was reported committed");
    } catch (const pq::Error& e) {
        CHECK(e.sqlstate() == "25P02");
    }
    CHECK(db.query_int64("SELECT count(*) FROM t") == 1);
}

TEST_CASE("errors carry the SQLSTATE and name the statement, and URLs are shown without their password") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    try {
        db.query("SELECT * FROM no_such_table");
        FAIL("a query of a missing table succeeded");
    } catch (const pq::Error& e) {
        CHECK(e.sqlstate() == "42P01");
        CHECK_THAT(e.what(), Catch::Contains("SELECT * FROM no_such_table") && Catch::Contains("does not exist"));
    }
    CHECK(db.ok());  // an error in a statement leaves the connection usable
    CHECK(db.query_int64("SELECT 1") == 1);

    CHECK(pq::redact_url("postgresql://hq:s3cret@db.example/loyalty") == "postgresql://hq:***@db.example/loyalty");
    CHECK(pq::redact_url("postgresql://hq@db.example/loyalty?password=s3cret&sslmode=require") ==
          "postgresql://hq@db.example/loyalty?password=***&sslmode=require");
    CHECK(pq::redact_url("host=db password=s3cret user=hq") == "host=db password=*** user=hq");
    CHECK(pq::redact_url("postgresql://hq@db.example/loyalty") == "postgresql://hq@db.example/loyalty");
    try {
        pq::Connection nowhere("postgresql://hq:s3cret@/loyalty?host=/nonexistent&connect_timeout=2");
        FAIL("a connection to nowhere succeeded");
    } catch (const pq::Error& e) {
        const std::string what = e.what();
        CHECK(e.sqlstate_class() == "08");
        CHECK_THAT(what, Catch::Contains("cannot connect to postgresql://hq:***@/loyalty"));
        CHECK(what.find("s3cret") == std::string::npos);
    }
}

TEST_CASE("a connection the server drops says so, and connects again") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    pq::Connection admin(test::postgres_server_url());
    const auto pid = db.query_int64("SELECT pg_backend_pid()");
    REQUIRE(pid);
    admin.query("SELECT pg_terminate_backend($1::int)", pq::Params::of(*pid));
    try {
        db.query("SELECT 1");
        FAIL("a query on a terminated connection succeeded");
    } catch (const pq::Error& e) {
        // 57P01 (terminated by an administrator) or 08006 (the connection is gone), as libpq sees it.
        CHECK((e.sqlstate_class() == "57" || e.sqlstate_class() == "08"));
    } catch (...) {
        FAIL("not a pq::Error");
    }
    db.reconnect();
    CHECK(db.ok());
    CHECK(db.query_int64("SELECT 2") == 2);  // prepared again on the new connection
}

TEST_CASE("rows copied in binary keep their values, and a bad copy names the problem and keeps nothing") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    db.exec("CREATE TABLE t (id bigint PRIMARY KEY, name text, body bytea)");
    pq::CopyRows rows;
    const std::string bytes("\0\xff\x01", 3);
    rows.row(3).int64(-7).text("Zoë").bytes(bytes);
    rows.row(3).int64(8).null().null();
    CHECK(rows.rows() == 2);
    CHECK(db.copy_in("COPY t (id, name, body) FROM STDIN (FORMAT binary)", rows) == 2);
    const pq::Result read = db.query("SELECT id, name, body FROM t ORDER BY id");
    REQUIRE(read.rows() == 2);
    CHECK(read.int64(0, 0) == -7);
    CHECK(read.text(0, 1) == "Zoë");
    CHECK(read.bytes(0, 2) == bytes);
    CHECK(read.is_null(1, 1));
    CHECK(read.is_null(1, 2));

    pq::CopyRows duplicate;
    duplicate.row(3).int64(9).null().null();
    duplicate.row(3).int64(8).null().null();  // held already
    try {
        db.copy_in("COPY t (id, name, body) FROM STDIN (FORMAT binary)", duplicate);
        FAIL("a copy with a duplicate key succeeded");
    } catch (const pq::Error& e) {
        CHECK(e.is_unique_violation());
    }
    CHECK(db.query_int64("SELECT count(*) FROM t") == 2);
    CHECK(db.ok());
}

TEST_CASE("an error never quotes the values of the row it concerns") {
    test::TestDatabase database;
    pq::Connection db(database.url());
    db.exec("CREATE TABLE cards (card text PRIMARY KEY, email text NOT NULL)");
    db.query("INSERT INTO cards VALUES ($1, $2)", pq::Params::of("6036000000000013", "jane@example.com"));
    try {
        db.query("INSERT INTO cards VALUES ($1, $2)", pq::Params::of("6036000000000013", "jane@example.com"));
        FAIL("a duplicate card was taken");
    } catch (const pq::Error& e) {
        CHECK(e.is_unique_violation());
        CHECK(std::string(e.what()).find("6036000000000013") == std::string::npos);  // DETAIL: Key (card)=(...)
    }
    try {
        db.query("INSERT INTO cards VALUES ($1, NULL)", pq::Params::of("6036000000000021"));
        FAIL("a row without its e-mail was taken");
    } catch (const pq::Error& e) {
        CHECK(e.sqlstate() == "23502");
        CHECK(std::string(e.what()).find("6036000000000021") == std::string::npos);  // DETAIL: Failing row ...
    }
}
