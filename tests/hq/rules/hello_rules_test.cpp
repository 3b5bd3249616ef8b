// The hello rule with no database: a terminal with the same database goes on, another database
// starts a new numbering, a database restored from a backup starts one from what was acknowledged
// and is told so until it shows a new id tag.
#include "hq/rules/hello_rules.hpp"

#include <catch2/catch.hpp>

using namespace loyalty::hq::rules;

namespace {

HelloFacts facts(std::string database, std::string tag, std::uint64_t acked, std::uint64_t next) {
    return {.terminal_id = "S1-T1",
            .database_id = std::move(database),
            .id_tag = std::move(tag),
            .acked_through = acked,
            .next_sequence = next};
}

}  // namespace

TEST_CASE("the same database holding at least what head office holds goes on as it was") {
    const HelloPlan plan = plan_hello({"db-1", 1, 40, ""}, facts("db-1", "TAG01", 40, 45));
    CHECK_FALSE(plan.database_restored);
    CHECK_FALSE(plan.clear_restored_tag);
    CHECK_FALSE(plan.new_epoch);
    CHECK_FALSE(plan.database_id);
    CHECK(plan.conflicts.empty());
    // A terminal that names no database (an old one) changes nothing either.
    CHECK(plan_hello({"db-1", 1, 40, ""}, facts("", "TAG01", 0, 1)).conflicts.empty());
}

TEST_CASE("a database restored from a backup: a new numbering from what it saw acknowledged, told so") {
    const HelloPlan plan = plan_hello({"db-1", 2, 40, ""}, facts("db-1", "TAG01", 30, 36));  // holds 35
    CHECK(plan.database_restored);
    REQUIRE(plan.new_epoch);
    CHECK(plan.new_epoch->epoch == 3);
    CHECK(plan.new_epoch->stored_through == 30);  // min(acknowledged, held)
    CHECK(plan.new_epoch->restored_tag == "TAG01");
    REQUIRE(plan.conflicts.size() == 1);
    CHECK(plan.conflicts[0].kind == "database_restored");
    CHECK(plan.conflicts[0].detail ==
          "terminal S1-T1 came back holding events through 35 but head office holds through 40 (restored from a "
          "backup?); its sequences are counted again from 31 and its new ids are tagged anew");
    // Its next hello still with the old tag (the Welcome was lost): told again, nothing else.
    const HelloPlan again = plan_hello({"db-1", 3, 30, "TAG01"}, facts("db-1", "TAG01", 30, 31));
    CHECK(again.database_restored);
    CHECK(again.conflicts.empty());
    CHECK_FALSE(again.new_epoch);
    // Then with a new tag: the reminder is forgotten.
    const HelloPlan tagged = plan_hello({"db-1", 3, 30, "TAG01"}, facts("db-1", "TAG02", 30, 31));
    CHECK_FALSE(tagged.database_restored);
    CHECK(tagged.clear_restored_tag);
}

TEST_CASE("another database: its events are kept, its sequences counted again from 1") {
    const HelloPlan plan = plan_hello({"db-1", 1, 40, ""}, facts("db-2", "TAG07", 0, 1));
    CHECK_FALSE(plan.database_restored);
    REQUIRE(plan.new_epoch);
    CHECK(plan.new_epoch->epoch == 2);
    CHECK(plan.new_epoch->stored_through == 0);
    CHECK_FALSE(plan.new_epoch->restored_tag);
    CHECK(plan.database_id == "db-2");
    REQUIRE(plan.conflicts.size() == 1);
    CHECK(plan.conflicts[0].kind == "database_replaced");
    CHECK(plan.conflicts[0].detail ==
          "terminal S1-T1 came back with another database (db-2, was db-1); its events through 40 are kept and its "
          "sequences are counted again from 1");
    // The first database id head office hears of is only recorded.
    const HelloPlan first = plan_hello({"", 1, 0, ""}, facts("db-1", "TAG01", 0, 1));
    CHECK(first.database_id == "db-1");
    CHECK_FALSE(first.new_epoch);
    CHECK(first.conflicts.empty());
}
