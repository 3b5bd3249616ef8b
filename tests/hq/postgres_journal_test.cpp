// What only the PostgreSQL journal has to show: a server that cannot be reached is "unavailable"
// (try later), with the URL's password kept out of the message; a connection the server drops
// fails one group as "try later" and the next group connects again; a database a newer program
// migrated is refused.
#include "hq/storage/postgres/postgres_journal.hpp"

#include <catch2/catch.hpp>

#include "common/postgres/connection.hpp"
#include "tests/support/postgres.hpp"

using namespace loyalty;

namespace {

hq::TerminalContact contact() {
    return {.store_id = "S0042",
            .terminal_id = "S0042-T03",
            .database_id = "db-1",
            .id_tag = "TAG01",
            .software_version = "0.1.0",
            .acked_through = 0,
            .next_sequence = 1,
            .catalog_version = 0,
            .at = hq::Clock::now()};
}

}  // namespace

TEST_CASE("a PostgreSQL server that cannot be reached is unavailable, and the password stays out of the message") {
    try {
        (void)hq::open_postgres_journal("postgresql://hq:s3cret@/loyalty?host=/nonexistent&connect_timeout=2");
        FAIL("a journal opened on nothing");
    } catch (const hq::StorageError& e) {
        CHECK(e.kind() == hq::StorageErrc::unavailable);
        CHECK(e.transient());
        CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
        CHECK_THAT(e.what(), Catch::Contains("postgresql://hq:***@"));
    }
}

TEST_CASE("a connection the server drops fails one group as try-later, and the next group connects again") {
    test::TestDatabase database;
    auto journal = hq::open_postgres_journal(database.url());
    {
        const auto write = journal->begin_journal();
        write->record_hello(contact());
        write->commit();
    }
    pq::Connection admin(test::postgres_server_url());
    admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid != pg_backend_pid()",
                pq::Params::of(database.name()));
    bool told_to_try_later = false;
    try {
        const auto write = journal->begin_journal();
        write->record_hello(contact());
        write->commit();
    } catch (const hq::StorageError& e) {
        told_to_try_later = e.transient();
    }
    CHECK(told_to_try_later);
    const auto write = journal->begin_journal();
    CHECK(write->record_hello(contact()).stored_through == 0);
    write->commit();
    CHECK(journal->terminals().size() == 1);
}

TEST_CASE("a PostgreSQL database a newer head office migrated is refused") {
    test::TestDatabase database;
    (void)hq::open_postgres_journal(database.url());
    pq::Connection db(database.url());
    db.exec("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
    try {
        (void)hq::open_postgres_journal(database.url());
        FAIL("a database of a newer program was used");
    } catch (const hq::StorageError& e) {
        CHECK(e.kind() == hq::StorageErrc::invalid);
        CHECK_THAT(e.what(), Catch::Contains("schema version 99, newer than this program knows"));
    }
}
