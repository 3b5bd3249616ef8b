// loyalty-hq's configuration: the shipped example loads as documented, and a broken file gets every
// error with file, line and key.
#include "hq/config/hq_config.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace loyalty;

TEST_CASE("the shipped head-office example loads with what it says") {
    const auto result = hq::load_hq_config(test::source_dir() / "firmware-config/examples/hq.toml");
    for (const auto& e : result.errors)
        FAIL(e.to_string());
    REQUIRE(result.config);
    CHECK(result.config->currency == "EUR");
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
    CHECK_THAT(all, Catch::Contains("hq.toml:1: currency: must be an ISO 4217 code"));
    CHECK_THAT(all, Catch::Contains("hq.toml:3: server.port: must be between 1 and 65535, got 99999"));
    CHECK_THAT(all, Catch::Contains("hq.toml:6: tls.certfile: unknown key"));
    CHECK_THAT(all, Catch::Contains("hq.toml:8: profiles.refresh_minutes: must be between 1 and 10080, got 0"));
    CHECK_THAT(all, Catch::Contains("profiles.gold: tier thresholds must rise"));
    CHECK_THAT(all, Catch::Contains("stores[1].latitude: must be between -90 and 90, got 95"));
    CHECK_THAT(all, Catch::Contains("stores[1].longitude: must be a number, got a string"));
}

TEST_CASE("head office's [profiles] section is optional, with the documented defaults") {
    test::TempDir dir;
    test::write_file(dir / "hq.toml", R"(currency = "EUR"
[server]
listen = "0.0.0.0"
port = 7443
[tls]
ca_file = "ca.pem"
cert_file = "server.pem"
key_file = "server.key"
crl_file = "crl.pem"
[storage]
database = "hq.db"
)");
    const auto result = hq::load_hq_config(dir / "hq.toml");
    std::string errors;
    for (const auto& e : result.errors)
        errors += e.to_string() + "\n";
    INFO(errors);
    REQUIRE(result.errors.empty());
    CHECK(result.config->profile_refresh == std::chrono::minutes{60});
    CHECK(result.config->tiers.silver == 50'000);
}
