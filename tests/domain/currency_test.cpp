// ISO 4217 currencies: which codes are in use, their decimal places, amounts printed with them;
// and the `currency` / `minor_unit_exponent` keys both configuration files read the same way.
#include "domain/currency.hpp"

#include <catch2/catch.hpp>

#include "domain/config/currency_keys.hpp"

using namespace loyalty::domain;

TEST_CASE("ISO 4217 codes in use have their decimal places, others are unknown") {
    CHECK(iso4217_exponent("EUR") == 2);
    CHECK(iso4217_exponent("GBP") == 2);
    CHECK(iso4217_exponent("JPY") == 0);
    CHECK(iso4217_exponent("ISK") == 0);
    CHECK(iso4217_exponent("KWD") == 3);
    CHECK(iso4217_exponent("CLF") == 4);
    CHECK(iso4217_exponent("XCG") == 2);             // replaced ANG in 2025
    CHECK(iso4217_exponent("EUX") == std::nullopt);  // three capitals, but no currency
    CHECK(iso4217_exponent("HRK") == std::nullopt);  // withdrawn (Croatia uses EUR since 2023)
    CHECK(iso4217_exponent("XAU") == std::nullopt);  // gold: no minor unit
    CHECK(iso4217_exponent("eur") == std::nullopt);
    CHECK(iso4217_exponent("") == std::nullopt);
    CHECK(minor_units_per_unit(0) == 1);
    CHECK(minor_units_per_unit(2) == 100);
    CHECK(minor_units_per_unit(3) == 1000);
}

TEST_CASE("amounts print with their currency's decimal places") {
    CHECK(format_money(1234, "EUR") == "12.34 EUR");
    CHECK(format_money(1234, "JPY") == "1234 JPY");
    CHECK(format_money(-5, "KWD") == "-0.005 KWD");
    CHECK(format_money(1234, "EUX") == "1234 minor units of EUX");
}

namespace {

struct Read {
    ConfigErrors errors;
    std::optional<Currency> currency;
};

Read read(std::string_view text) {
    Read result;
    config_detail::Diagnostics diag("test.toml", result.errors);
    auto table = config_detail::parse_text(text, diag);
    REQUIRE(table);
    config_detail::TomlReader reader(*table, "", diag);
    result.currency = config_detail::read_currency(reader);
    reader.finish();
    return result;
}

}  // namespace

TEST_CASE("the currency keys: an ISO code in use, its exponent implied or matching") {
    auto eur = read("currency = \"EUR\"\n");
    REQUIRE(eur.currency);
    CHECK(eur.currency->code == "EUR");
    CHECK(eur.currency->exponent == 2);
    CHECK(eur.errors.empty());

    auto jpy = read("currency = \"JPY\"\nminor_unit_exponent = 0\n");
    REQUIRE(jpy.currency);
    CHECK(jpy.currency->exponent == 0);

    auto made_up = read("currency = \"EUX\"\n");
    CHECK_FALSE(made_up.currency);
    REQUIRE(made_up.errors.size() == 1);
    CHECK(made_up.errors[0].to_string() ==
          "test.toml:1: currency: must be an ISO 4217 currency code in use, e.g. \"EUR\" or \"GBP\", got \"EUX\"");

    auto wrong_places = read("currency = \"JPY\"\nminor_unit_exponent = 2\n");
    CHECK_FALSE(wrong_places.currency);
    REQUIRE(wrong_places.errors.size() == 1);
    CHECK(wrong_places.errors[0].to_string() ==
          "test.toml:2: minor_unit_exponent: JPY has 0 decimal places (ISO 4217), got 2");

    auto missing = read("other = 1\n");
    CHECK_FALSE(missing.currency);
    CHECK(missing.errors.size() == 2);  // the missing currency, the unknown key
}
