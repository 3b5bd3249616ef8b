// What a till holds about a shopper enrolled in another store, through real processes: she enrols
// at a real till (loyaltyd, POS JSON API) in one store, head office sends her to the other store's
// till in the catalog, and there a byte search of the database, its WAL and outbox finds neither
// her e-mail address nor her phone number nor her family name, while the cashier still finds her
// by phone and by e-mail (keyed hashes) and sees her display name.
#include <catch2/catch.hpp>

#include "tests/support/fleet.hpp"

using loyalty::test::eventually;
using loyalty::test::HeadOffice;
using loyalty::test::TempDir;
using loyalty::test::Till;
using loyalty::test::UnixClient;
using namespace std::chrono_literals;

TEST_CASE("a till holds no phone number, e-mail address or family name of a shopper enrolled in another store") {
    TempDir dir;
    HeadOffice hq(dir);
    Till home(dir, "S0009", "S0009-T01", hq.port);
    Till other(dir, "S0007", "S0007-T01", hq.port);
    hq.start();
    home.start();
    other.start();
    const std::string alice = loyalty::test::enroll(
        home.socket(), "6036000000123450",
        R"({"givenName":"Alice","familyName":"Zimmermann","email":"alice.zimmermann@example.com",)"
        R"("phone":"+49 30 7654321","birthday":{"year":1990,"month":7,"day":14}})");
    REQUIRE(alice.starts_with("S0009-T01-"));
    // She reaches the other store's till through head office's catalog: found by her card there.
    UnixClient pos(other.socket());
    REQUIRE(pos.connected());
    REQUIRE(eventually(
        [&] {
            return pos.request(R"({"lookupCustomer":{"loyaltyCard":"6036000000123450"}})").find("Alice Z.") !=
                   std::string::npos;
        },
        30s));
    // The cashier finds her by phone and by e-mail, as typed.
    CHECK_THAT(pos.request(R"({"lookupCustomer":{"phone":"+49 (30) 765-4321"}})"), Catch::Contains("Alice Z."));
    CHECK_THAT(pos.request(R"({"lookupCustomer":{"email":" Alice.Zimmermann@Example.com"}})"),
               Catch::Contains("Alice Z."));
    CHECK(pos.request(R"({"lookupCustomer":{"phone":"+49 30 7654322"}})").find("Alice") == std::string::npos);

    // A byte search of everything the other till keeps.
    std::string bytes;
    for (const char* file : {"terminal.db", "terminal.db-wal"}) {
        const auto path = other.home / "data" / file;
        if (std::filesystem::exists(path)) bytes += loyalty::test::read_file(path);
    }
    INFO("bytes searched: " << bytes.size());
    CHECK(bytes.size() > 0);
    for (const char* clear :
         {"alice.zimmermann@example.com", "Zimmermann@", "+49307654321", "7654321", "Zimmermann", "1990-07-14"})
        CHECK(bytes.find(clear) == std::string::npos);
    CHECK(bytes.find("6036000000123450") != std::string::npos);  // the card is what a till needs
}
