// Customer ownership through real processes: a shopper enrolled at a real till (loyaltyd, POS
// JSON API) in one store; another store's till certificate used to send, over mutual TLS to the
// real loyalty-hq, an enrolment carrying her customer id and card with other contact details. Head
// office stores and acknowledges it (that till's outbox must not jam) but changes nothing and
// records the conflict.
#include <catch2/catch.hpp>
#include <regex>

#include "common/sqlite/database.hpp"
#include "loyalty/v1/sync.pb.h"
#include "sync/wire.hpp"
#include "tests/support/fleet.hpp"

using loyalty::test::eventually;
using loyalty::test::HeadOffice;
using loyalty::test::pki;
using loyalty::test::TempDir;
using loyalty::test::Till;
using loyalty::test::UnixClient;
using namespace std::chrono_literals;

namespace {

std::string text(const HeadOffice& hq, const std::string& sql) {
    loyalty::sqlite::Database db(hq.database, loyalty::sqlite::OpenMode::read_only);
    db.exec("PRAGMA busy_timeout = 5000");
    auto select = db.prepare(sql);
    return select.step() ? select.column_text(0) : std::string();
}

}  // namespace

TEST_CASE("a till cannot rewrite a customer another till enrolled: stored, acknowledged, applied as nothing") {
    TempDir dir;
    HeadOffice hq(dir);
    Till home(dir, "S0009", "S0009-T01", hq.port);
    hq.start();
    home.start();
    const std::string enrolled = loyalty::test::enroll(
        home.socket(), "6036000000123450",
        R"({"givenName":"Alice","familyName":"Archer","email":"alice@example.com","phone":"+49 30 1234567"})");
    REQUIRE(enrolled.starts_with("S0009-T01-"));
    REQUIRE(
        eventually([&] { return hq.query("SELECT count(*) FROM customers WHERE enrolled_at IS NOT NULL") == 1; }, 20s));
    const std::string alice = text(hq, "SELECT customer_id FROM customers");
    REQUIRE(alice.starts_with("S0009-T01-"));

    // Till S0007-T01 (a certificate of its own) sends an enrolment with her id and card.
    pki("terminal '" + (dir / "ca").string() + "' S0007 S0007-T01");
    loyalty::v1::Envelope hello;
    hello.mutable_hello()->add_protocol_versions(loyalty::sync::k_protocol_version);
    hello.mutable_hello()->mutable_terminal()->set_store_id("S0007");
    hello.mutable_hello()->mutable_terminal()->set_terminal_id("S0007-T01");
    hello.mutable_hello()->set_database_id("forger");
    hello.mutable_hello()->set_next_sequence(2);
    loyalty::v1::Envelope batch;
    auto* event = batch.mutable_batch()->add_events();
    event->mutable_header()->set_terminal_id("S0007-T01");
    event->mutable_header()->set_store_id("S0007");
    event->mutable_header()->set_sequence(1);
    event->mutable_enrollment()->set_customer_id(alice);
    event->mutable_enrollment()->set_loyalty_card("6036000000123450");
    event->mutable_enrollment()->mutable_contact()->set_given_name("Mallory");
    event->mutable_enrollment()->mutable_contact()->set_email("mallory@example.net");
    const auto frames = dir / "forged.bin";
    loyalty::test::write_file(frames, loyalty::sync::encode_frame(hello) + loyalty::sync::encode_frame(batch));
    const auto answer = dir / "answer.bin";
    const std::string ca = (dir / "ca").string();
    const std::string command =
        "(cat '" + frames.string() +
        "'; sleep 2) | timeout 15 openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:" + std::to_string(hq.port) +
        " -CAfile '" + ca + "/ca.pem' -cert '" + ca + "/S0007-T01.pem' -key '" + ca + "/S0007-T01.key' > '" +
        answer.string() + "' 2>/dev/null";
    (void)!std::system(command.c_str());

    // Stored and acknowledged through sequence 1, so that till's outbox moves on ...
    CHECK(hq.query("SELECT count(*) FROM events WHERE terminal_id = 'S0007-T01'") == 1);
    CHECK(hq.query("SELECT stored_through FROM terminals WHERE terminal_id = 'S0007-T01'") == 1);
    CHECK(loyalty::test::read_file(answer).size() > 0);
    // ... but nothing changed, and the conflict says who tried what.
    REQUIRE(eventually([&] { return hq.query("SELECT count(*) FROM conflicts") == 1; }, 10s));
    CHECK(text(hq, "SELECT given_name FROM customers WHERE customer_id = '" + alice + "'") == "Alice");
    CHECK(text(hq, "SELECT email FROM customers WHERE customer_id = '" + alice + "'") == "alice@example.com");
    CHECK(text(hq, "SELECT enrolled_at FROM customers WHERE customer_id = '" + alice + "'") == "S0009-T01");
    const std::string conflicts = hq.run({"conflicts"});
    CHECK_THAT(conflicts,
               Catch::Contains("customer_not_owned") && Catch::Contains("S0007-T01") && Catch::Contains(alice));
    CHECK(conflicts.find("Mallory") == std::string::npos);
}
