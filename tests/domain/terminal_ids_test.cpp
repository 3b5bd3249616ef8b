// The ids tills make and who made one: what head office's ownership checks read.
#include "domain/terminal_ids.hpp"

#include <catch2/catch.hpp>

using namespace loyalty::domain;

TEST_CASE("a till's ids name the terminal, its tag, the kind and the number") {
    CHECK(make_terminal_id("S0042-T03", "K7Q2M", IdKind::customer, 1) == "S0042-T03-K7Q2M-C000001");
    CHECK(make_terminal_id("S0042-T03", "K7Q2M", IdKind::sale, 1234567) == "S0042-T03-K7Q2M-1234567");
    CHECK(make_terminal_id("S0042-T03", "", IdKind::sale_return, 7) == "S0042-T03-R000007");
}

TEST_CASE("who made an id is read from its structure, terminal ids with '-' included") {
    CHECK(made_by_terminal("S0042-T03-K7Q2M-C000001", "S0042-T03", IdKind::customer));
    CHECK(made_by_terminal("S0042-T03-C000001", "S0042-T03", IdKind::customer));         // before tags
    CHECK(made_by_terminal("S0042-T03-K7Q2M-C1234567", "S0042-T03", IdKind::customer));  // past a million
    CHECK_FALSE(made_by_terminal("S0042-T03-K7Q2M-C000001", "S0042-T0", IdKind::customer));
    CHECK_FALSE(made_by_terminal("S0042-T03-K7Q2M-C000001", "S0042", IdKind::customer));
    // The one ambiguity (terminal_ids.hpp): an untagged id of a terminal named "<other>-<tag>".
    CHECK(made_by_terminal("S0042-T03-K7Q2M-C000001", "S0042-T03-K7Q2M", IdKind::customer));
    CHECK_FALSE(made_by_terminal("S0042-T03-K7Q2M-000001", "S0042-T03", IdKind::customer));  // a sale id
    CHECK(made_by_terminal("S0042-T03-K7Q2M-000001", "S0042-T03", IdKind::sale));
    CHECK_FALSE(made_by_terminal("S0042-T03-KIQ2M-C000001", "S0042-T03",
                                 IdKind::customer));                                         // I: not Crockford
    CHECK_FALSE(made_by_terminal("S0042-T03-K7Q2M-C00001", "S0042-T03", IdKind::customer));  // five digits
    CHECK_FALSE(made_by_terminal("S0042-T03-K7Q2M-C000001x", "S0042-T03", IdKind::customer));
    CHECK_FALSE(made_by_terminal("C-1", "S0042-T03", IdKind::customer));
    CHECK_FALSE(made_by_terminal("S0042-T03-K7Q2M-C000001", "", IdKind::customer));
}
