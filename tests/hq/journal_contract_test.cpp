// The journal's contract, one suite for every backend (SQLite and PostgreSQL): group commits of
// hellos, batches and disconnects, checked only through the Journal interface. Events are held
// once (the high-water mark), gaps and unknown bodies recorded, a bad batch refused alone, a group
// dropped without commit leaves nothing, another or a restored database starts a new numbering,
// connections are counted.
#include <catch2/catch.hpp>

#include "hq/storage/postgres/postgres_journal.hpp"
#include "hq/storage/storage.hpp"
#include "tests/hq/journal_events.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using test::batch_of;
using test::contact;
using test::purchase;

namespace {

struct Sqlite {
    test::TempDir dir;
    std::unique_ptr<hq::Storage> storage = hq::open_sqlite_storage(dir / "hq.db");
    hq::Journal& journal() { return *storage; }
};

struct Postgres {
    test::TestDatabase database;
    std::unique_ptr<hq::Journal> storage = hq::open_postgres_journal(database.url());
    hq::Journal& journal() { return *storage; }
};

hq::HelloResult hello(hq::Journal& j, const hq::TerminalContact& c) {
    const auto write = j.begin_journal();
    const hq::HelloResult result = write->record_hello(c);
    write->commit();
    return result;
}

hq::BatchResult store(hq::Journal& j, const v1::EventBatch& batch, const std::string& terminal = "S0042-T03") {
    const auto write = j.begin_journal();
    const hq::BatchResult result = write->store_batch(terminal, batch, hq::Clock::now());
    write->commit();
    return result;
}

std::vector<std::string> conflict_kinds(hq::Journal& j) {
    std::vector<std::string> kinds;
    for (const auto& c : j.conflicts())
        kinds.push_back(c.kind);
    return kinds;
}

const hq::TerminalRow* terminal(const std::vector<hq::TerminalRow>& rows, const std::string& id) {
    for (const auto& row : rows)
        if (row.terminal_id == id) return &row;
    return nullptr;
}

}  // namespace

TEMPLATE_TEST_CASE("journal: each event is held once, replays are acknowledged again, gaps and unknown bodies noted",
                   "[journal]", Sqlite, Postgres) {
    TestType backend;
    hq::Journal& j = backend.journal();
    CHECK(hello(j, contact("S0042-T03")).stored_through == 0);
    const hq::BatchResult first = store(j, batch_of({purchase(1), purchase(2), purchase(3)}));
    CHECK(first.new_events == 3);
    CHECK(first.stored_through == 3);
    const hq::BatchResult replay = store(j, batch_of({purchase(2), purchase(3), purchase(4)}));
    CHECK(replay.new_events == 1);
    CHECK(replay.stored_through == 4);
    CHECK(j.unapplied() == 4);
    v1::Event unknown;
    unknown.mutable_header()->set_sequence(7);
    unknown.mutable_header()->set_terminal_id("S0042-T03");
    const hq::BatchResult gap = store(j, batch_of({unknown, purchase(8)}));
    CHECK(gap.new_events == 2);
    CHECK(gap.stored_through == 8);
    const auto conflicts = j.conflicts();
    REQUIRE(conflicts.size() == 2);
    CHECK(conflicts[0].kind == "sequence_gap");
    CHECK(conflicts[0].detail == "events 5 to 6 of terminal S0042-T03 never arrived before 7");
    CHECK(conflicts[0].store_id == "S0042");
    CHECK(conflicts[1].kind == "unknown_event");
    const auto rows = j.terminals();
    const hq::TerminalRow* t = terminal(rows, "S0042-T03");
    REQUIRE(t);
    CHECK(t->events == 6);
    CHECK(t->stored_through == 8);
    CHECK(t->store_id == "S0042");
    CHECK(t->software_version == "0.1.0");
    CHECK(j.unapplied() == 6);
}

TEMPLATE_TEST_CASE("journal: a bad batch fails alone, a group dropped without commit leaves nothing", "[journal]",
                   Sqlite, Postgres) {
    TestType backend;
    hq::Journal& j = backend.journal();
    hello(j, contact("S0042-T03"));
    hello(j, contact("S0042-T04"));
    v1::Event unnumbered = purchase(2);
    unnumbered.mutable_header()->set_sequence(0);
    {
        const auto write = j.begin_journal();
        try {
            write->store_batch("S0042-T03", batch_of({purchase(1), unnumbered}), hq::Clock::now());
            FAIL("a batch with sequence 0 was taken");
        } catch (const hq::StorageError& e) {
            CHECK(e.kind() == hq::StorageErrc::invalid);
            CHECK_THAT(e.what(), Catch::Contains("event with sequence 0"));
        }
        try {
            write->store_batch("S0042-T09", batch_of({purchase(1, "S0042-T09")}), hq::Clock::now());
            FAIL("events before a hello were taken");
        } catch (const hq::StorageError& e) {
            CHECK(e.kind() == hq::StorageErrc::invalid);
            CHECK_THAT(e.what(), Catch::Contains("sent events before its hello"));
        }
        CHECK(write->store_batch("S0042-T04", batch_of({purchase(1, "S0042-T04")}), hq::Clock::now()).new_events == 1);
        write->commit();
    }
    {
        const auto write = j.begin_journal();
        write->store_batch("S0042-T03", batch_of({purchase(1), purchase(2)}), hq::Clock::now());
    }  // dropped
    const auto rows = j.terminals();
    CHECK(terminal(rows, "S0042-T03")->events == 0);
    CHECK(terminal(rows, "S0042-T03")->stored_through == 0);
    CHECK(terminal(rows, "S0042-T04")->events == 1);
    CHECK(j.unapplied() == 1);
    CHECK(store(j, batch_of({purchase(1), purchase(2)})).new_events == 2);
}

TEMPLATE_TEST_CASE("journal: another database and a restored one start a new numbering, with their conflicts",
                   "[journal]", Sqlite, Postgres) {
    TestType backend;
    hq::Journal& j = backend.journal();
    hello(j, contact("S0042-T03"));
    store(j, batch_of({purchase(1), purchase(2), purchase(3), purchase(4), purchase(5)}));
    // Back holding 1-3 of its database, 2 of them acknowledged when the backup was taken.
    auto restored = contact("S0042-T03");
    restored.next_sequence = 4;
    restored.acked_through = 2;
    hq::HelloResult result = hello(j, restored);
    CHECK(result.database_restored);
    CHECK(result.stored_through == 2);
    CHECK(hello(j, restored).database_restored);                            // told again while it shows the old tag
    CHECK(store(j, batch_of({purchase(3), purchase(4)})).new_events == 2);  // the new numbering
    restored.id_tag = "TAG02";
    restored.next_sequence = 5;
    CHECK_FALSE(hello(j, restored).database_restored);
    // Another database altogether: counted from 1 again, the old events kept.
    CHECK(hello(j, contact("S0042-T03", "db-2")).stored_through == 0);
    CHECK(store(j, batch_of({purchase(1)})).new_events == 1);
    CHECK(conflict_kinds(j) == std::vector<std::string>{"database_restored", "database_replaced"});
    CHECK(terminal(j.terminals(), "S0042-T03")->events == 8);
}

TEMPLATE_TEST_CASE("journal: connections are counted, a late disconnect of an old link leaves the terminal connected",
                   "[journal]", Sqlite, Postgres) {
    TestType backend;
    hq::Journal& j = backend.journal();
    hello(j, contact("S0042-T03"));
    hello(j, contact("S0042-T03"));  // reconnected before the old link was noticed gone
    {
        const auto write = j.begin_journal();
        write->record_disconnect("S0042-T03", hq::Clock::now());
        write->commit();
    }
    CHECK(j.terminals()[0].connected);
    {
        const auto write = j.begin_journal();
        write->record_disconnect("S0042-T03", hq::Clock::now());
        write->record_disconnect("S0042-T03", hq::Clock::now());  // never below zero
        write->commit();
    }
    CHECK_FALSE(j.terminals()[0].connected);
    hello(j, contact("S0042-T03"));
    j.forget_connections();  // a server starting again
    CHECK_FALSE(j.terminals()[0].connected);
    CHECK(j.catalog_version() == 0);
    CHECK(j.conflicts().empty());
}
