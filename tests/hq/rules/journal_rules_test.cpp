// The journal's rule with no database: new events by the high-water mark, replays, gaps, unknown
// bodies, and batches refused whole.
#include "hq/rules/journal_rules.hpp"

#include <catch2/catch.hpp>

using namespace loyalty::hq::rules;

TEST_CASE("events above the high-water mark are new, the rest are replays") {
    const BatchPlan plan = plan_batch("S1-T1", 3, {{2, true}, {3, true}, {4, true}, {5, true}, {5, true}});
    CHECK(plan.refused.empty());
    CHECK(plan.new_events == std::vector<std::size_t>{2, 3});  // 4 and 5 (the second 5 is a replay)
    CHECK(plan.stored_through == 5);
    CHECK(plan.conflicts.empty());
    const BatchPlan again = plan_batch("S1-T1", 5, {{4, true}, {5, true}});
    CHECK(again.new_events.empty());
    CHECK(again.stored_through == 5);
}

TEST_CASE("a sequence that skips ahead is a gap, an unknown body is kept unread, both stored") {
    const BatchPlan plan = plan_batch("S1-T1", 3, {{4, true}, {7, false}, {8, true}});
    CHECK(plan.new_events == std::vector<std::size_t>{0, 1, 2});
    CHECK(plan.stored_through == 8);
    REQUIRE(plan.conflicts.size() == 2);
    CHECK(plan.conflicts[0].kind == "sequence_gap");
    CHECK(plan.conflicts[0].sequence == 7);
    CHECK(plan.conflicts[0].detail == "events 5 to 6 of terminal S1-T1 never arrived before 7");
    CHECK(plan.conflicts[1].kind == "unknown_event");
    CHECK(plan.conflicts[1].detail ==
          "event 7 of terminal S1-T1 has a body this head office does not know; stored unread");
    // Older than one held (only a broken till sends that): taken for a replay.
    CHECK(plan_batch("S1-T1", 8, {{6, true}}).new_events.empty());
}

TEST_CASE("a sequence of 0 or beyond 2^63 refuses the whole batch") {
    const BatchPlan zero = plan_batch("S1-T1", 0, {{1, true}, {0, true}});
    CHECK(zero.refused == "event with sequence 0 (must be 1 or more)");
    CHECK(zero.new_events.empty());
    CHECK(zero.stored_through == 0);
    CHECK_FALSE(plan_batch("S1-T1", 0, {{9'223'372'036'854'775'808ULL, true}}).refused.empty());
    CHECK(plan_batch("S1-T1", 0, {}).new_events.empty());
}

TEST_CASE("the journal records the till's clock, or the time it was received when the event has none") {
    loyalty::v1::Event event;
    CHECK(terminal_time_ms(event, 42) == 42);
    event.mutable_header()->mutable_terminal_time()->set_seconds(1'795'000'000);
    event.mutable_header()->mutable_terminal_time()->set_nanos(250'000'000);
    CHECK(terminal_time_ms(event, 42) == 1'795'000'000'250);
}
