// Contact details as the till and head office both treat them: normalisation, the display name,
// the keyed lookup hashes.
#include "domain/contact.hpp"

#include <catch2/catch.hpp>

using namespace loyalty::domain;

TEST_CASE("phone numbers and e-mail addresses are normalised one way") {
    CHECK(normalize_phone("+44 20 7946-0958") == "+442079460958");
    CHECK(normalize_phone("(+49) 30.123456") == "+4930123456");
    CHECK(normalize_phone("030 123456") == std::nullopt);  // no country code
    CHECK(normalize_phone("+49 30 12x456") == std::nullopt);
    CHECK(normalize_phone("+1234567") == std::nullopt);  // too short
    CHECK(normalize_email("  Jane.Doe@Example.COM ") == "jane.doe@example.com");
    CHECK(normalize_email("jane@example") == std::nullopt);
    CHECK(normalize_email("ja ne@example.com") == std::nullopt);
    CHECK(normalize_email("@example.com") == std::nullopt);
}

TEST_CASE("the display name is the given name and the family name's initial, a whole UTF-8 character") {
    CHECK(display_name("Jane", "Doe") == "Jane D.");
    CHECK(display_name("Jane", "") == "Jane");
    CHECK(display_name("", "Doe") == "D.");
    CHECK(display_name("Zoë", "Öztürk") == "Zoë Ö.");
    CHECK(display_name("", "") == "");
}

TEST_CASE("lookup keys are an HMAC under the chain's key: stable, and different per key and per kind") {
    const std::string key(32, '\x01');
    const std::string other(32, '\x02');
    const std::string phone = contact_lookup_key(key, ContactKind::phone, "+442079460958");
    CHECK(phone.size() == 32);
    CHECK(phone == contact_lookup_key(key, ContactKind::phone, "+442079460958"));
    CHECK(phone != contact_lookup_key(other, ContactKind::phone, "+442079460958"));
    CHECK(phone != contact_lookup_key(key, ContactKind::email, "+442079460958"));
    CHECK(phone != contact_lookup_key(key, ContactKind::phone, "+442079460959"));
    CHECK(phone.find("442079460958") == std::string::npos);
    CHECK(contact_lookup_key("", ContactKind::phone, "+442079460958").empty());
    CHECK(contact_lookup_key(key, ContactKind::email, "").empty());
}
