// loyalty-hq's configuration: the shipped example loads as documented, and a broken file gets every
// error with file, line and key.
#include "hq/config/hq_config.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace loyalty;

namespace {

// Every table a head-office configuration needs, without the currency.
const std::string k_tables = R"([server]
listen = "0.0.0.0"
port = 7443
[tls]
ca_file = "ca.pem"
cert_file = "server.pem"
key_file = "server.key"
crl_file = "crl.pem"
[storage]
database = "hq.db"
)";

}  // namespace

TEST_CASE("the shipped head-office example loads with what it says") {
    const auto result = hq::load_hq_config(test::source_dir() / "firmware-config/examples/hq.toml");
    for (const auto& e : result.errors)
        FAIL(e.to_string());
    REQUIRE(result.config);
    CHECK(result.config->currency.code == "EUR");
    CHECK(result.config->currency.exponent == 2);
    CHECK(result.config->alerts.currency.code == "EUR");
    CHECK(result.config->listen_address == "0.0.0.0");
    CHECK(result.config->port == 7443);
    CHECK(result.config->crl_file == "/etc/loyalty-hq/crl.pem");
    CHECK(result.config->database == "/var/lib/loyalty-hq/hq.db");
    CHECK(result.config->profile_refresh == std::chrono::minutes{60});
    CHECK(result.config->tiers.silver == 50'000);
    CHECK(result.config->tiers.gold == 150'000);
    CHECK(result.config->tiers.platinum == 400'000);
    CHECK(result.config->alerts.max_sales_per_day == 6);
    CHECK(result.config->alerts.max_kmh == 120);
    REQUIRE(result.config->alerts.stores.size() == 2);
    CHECK(result.config->alerts.stores.at("S0002").latitude == Approx(52.0907));
}

TEST_CASE("a broken head-office configuration names each problem with file, line and key") {
    test::TempDir dir;
    test::write_file(dir / "hq.toml", R"(currency = "euro"
[server]
port = 99999
[tls]
ca_file = "ca.pem"
certfile = "server.pem"
[profiles]
refresh_minutes = 0
silver = 900
gold = 500
[[stores]]
id = "S0001"
latitude = 95
longitude = "east"
)");
    const auto result = hq::load_hq_config(dir / "hq.toml");
    CHECK_FALSE(result.config);
    std::vector<std::string> lines;
    for (const auto& e : result.errors)
        lines.push_back(e.to_string());
    const std::string all = Catch::Detail::stringify(lines);
    CHECK_THAT(all, Catch::Contains("hq.toml:1: currency: must be an ISO 4217 currency code in use"));
    CHECK_THAT(all, Catch::Contains("hq.toml:3: server.port: must be between 1 and 65535, got 99999"));
    CHECK_THAT(all, Catch::Contains("hq.toml:6: tls.certfile: unknown key"));
    CHECK_THAT(all, Catch::Contains("hq.toml:8: profiles.refresh_minutes: must be between 1 and 10080, got 0"));
    CHECK_THAT(all, Catch::Contains("profiles.gold: tier thresholds must rise"));
    CHECK_THAT(all, Catch::Contains("stores[1].latitude: must be between -90 and 90, got 95"));
    CHECK_THAT(all, Catch::Contains("stores[1].longitude: must be a number, got a string"));
}

TEST_CASE("head office's [profiles] section is optional, with the documented defaults") {
    test::TempDir dir;
    test::write_file(dir / "hq.toml", "currency = \"EUR\"\n" + k_tables);
    const auto result = hq::load_hq_config(dir / "hq.toml");
    std::string errors;
    for (const auto& e : result.errors)
        errors += e.to_string() + "\n";
    INFO(errors);
    REQUIRE(result.errors.empty());
    CHECK(result.config->profile_refresh == std::chrono::minutes{60});
    CHECK(result.config->tiers.silver == 50'000);
}

TEST_CASE("head office reads whole amounts in its currency's decimal places") {
    test::TempDir dir;
    const std::string rest = "\n" + k_tables;
    test::write_file(dir / "yen.toml", "currency = \"JPY\"" + rest + "[profiles]\nsilver = 600\n");
    const auto yen = hq::load_hq_config(dir / "yen.toml");
    REQUIRE(yen.config);
    CHECK(yen.config->currency.exponent == 0);
    CHECK(yen.config->tiers.silver == 600);  // yen have no minor unit
    CHECK(yen.config->tiers.gold == 1'500);  // the default, 1500 whole units
    test::write_file(dir / "dinar.toml", "currency = \"KWD\"\nminor_unit_exponent = 3" + rest);
    const auto dinar = hq::load_hq_config(dir / "dinar.toml");
    REQUIRE(dinar.config);
    CHECK(dinar.config->tiers.silver == 500'000);  // 500.000 KWD
    test::write_file(dir / "wrong.toml", "currency = \"EUR\"\nminor_unit_exponent = 3" + rest);
    const auto wrong = hq::load_hq_config(dir / "wrong.toml");
    REQUIRE(wrong.errors.size() == 1);
    CHECK(wrong.errors[0].to_string() ==
          (dir / "wrong.toml").string() + ":2: minor_unit_exponent: EUR has 2 decimal places (ISO 4217), got 3");
}
