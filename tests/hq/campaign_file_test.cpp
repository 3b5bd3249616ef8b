// Campaign files: the shipped examples load as documented (their offers pass the tills' own
// validation), and a broken file gets every error with file, line and key.
#include "hq/config/campaign_file.hpp"

#include <catch2/catch.hpp>
#include <google/protobuf/util/time_util.h>

#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using google::protobuf::util::TimeUtil;

namespace {
const domain::Currency k_eur{"EUR", 2};
}  // namespace

TEST_CASE("the shipped campaign examples load with what they say") {
    auto bakery = hq::load_campaign_file(test::source_dir() / "firmware-config/examples/campaign-bakery.toml", k_eur);
    for (const auto& e : bakery.errors)
        FAIL(e.to_string());
    REQUIRE(bakery.file);
    const v1::Campaign& c = bakery.file->campaign;
    CHECK(c.campaign_id() == "BAKERY-COMEBACK");
    CHECK(TimeUtil::ToString(c.starts()) == "2026-11-23T00:00:00Z");
    CHECK(TimeUtil::ToString(c.ends()) == "2026-12-07T00:00:00Z");
    CHECK(c.control_basis_points() == 2000);
    CHECK(c.per_customer() == 2);
    CHECK(c.budget().minor_units() == 50'000);
    CHECK(c.budget().currency() == "EUR");
    CHECK(c.audience().segments_size() == 7);
    CHECK(c.audience().lapsed_days() == 7);
    REQUIRE(c.audience().bought_size() == 1);
    CHECK(c.audience().bought(0).department() == "bakery");
    CHECK(c.audience().bought(0).within_days() == 60);
    CHECK(c.owns_offer());
    REQUIRE(bakery.file->offer);
    const v1::Offer& o = *bakery.file->offer;
    CHECK(o.offer_id() == "BAKERY-COMEBACK");
    CHECK(o.campaign_id() == "BAKERY-COMEBACK");
    CHECK(o.targeting().audience() == v1::AUDIENCE_ASSIGNED);
    CHECK(o.percent_off().basis_points() == 2000);
    CHECK(o.limits().per_customer() == 2);
    CHECK(o.validity().starts().day() == 23);
    CHECK(o.validity().ends().month() == 12);

    auto birthday =
        hq::load_campaign_file(test::source_dir() / "firmware-config/examples/campaign-birthday.toml", k_eur);
    for (const auto& e : birthday.errors)
        FAIL(e.to_string());
    REQUIRE(birthday.file);
    CHECK(birthday.file->campaign.audience().birthday_month());
    CHECK(birthday.file->offer->targeting().birthday_month());  // the till applies it in that month only
    CHECK(birthday.file->campaign.audience().tiers_size() == 2);
    CHECK(birthday.file->offer->basket_threshold().bonus_points() == 100);
}

TEST_CASE("a broken campaign file names each problem with file, line and key") {
    test::TempDir dir;
    test::write_file(dir / "c.toml", R"(id = "spring sale"
name = "Spring"
starts = 2026-05-01
ends = 2026-04-01
control_percent = 95
per_customer = 2
offer = "SPRING-10"
colour = "green"
[audience]
segments = ["champions"]
tiers = ["bronze"]
recency = [4, 2]
stores = [""]
[[audience.bought]]
within_days = 30
)");
    const auto result = hq::load_campaign_file(dir / "c.toml", k_eur);
    CHECK_FALSE(result.file);
    std::string all;
    for (const auto& e : result.errors)
        all += e.to_string() + "\n";
    INFO(all);
    CHECK_THAT(all, Catch::Contains("c.toml:1: id: must be 1 to 40 capital letters"));
    CHECK_THAT(all, Catch::Contains("c.toml:4: ends: must be after starts"));
    CHECK_THAT(all, Catch::Contains("c.toml:5: control_percent:"));
    CHECK_THAT(all, Catch::Contains("per_customer: applies to an offer defined in the file"));
    CHECK_THAT(all, Catch::Contains("c.toml:8: colour:"));
    CHECK_THAT(all, Catch::Contains("c.toml:10: audience.segments[1]: unknown segment \"champions\""));
    CHECK_THAT(all, Catch::Contains("c.toml:11: audience.tiers[1]: unknown tier \"bronze\""));
    CHECK_THAT(all, Catch::Contains("c.toml:12: audience.recency: must be [min, max]"));
    CHECK_THAT(all, Catch::Contains("audience.bought[1].gtin: give a gtin or a department"));
    CHECK_THAT(all, Catch::Contains("c.toml:13: audience.stores[1]: must not be empty"));

    // An [offer] for everyone, and one the tills would refuse.
    test::write_file(dir / "d.toml", R"(id = "D"
name = "D"
starts = 2026-05-01
ends = 2026-06-01
control_percent = 10
[offer]
name = "open"
targeting = { audience = "AUDIENCE_EVERYONE" }
percent_off = { items = { departments = ["bakery"] }, basis_points = 20000 }
)");
    const auto d = hq::load_campaign_file(dir / "d.toml", k_eur);
    std::string d_all;
    for (const auto& e : d.errors)
        d_all += e.to_string() + "\n";
    INFO(d_all);
    CHECK_THAT(d_all, Catch::Contains("offer: targeting.audience must be AUDIENCE_ASSIGNED"));
    CHECK(d.errors.size() == 2);  // and the tills' validation of basis_points
    test::write_file(dir / "e.toml",
                     "id = \"E\"\nname = \"E\"\nstarts = 2026-05-01\nends = 2026-06-01\n"
                     "control_percent = 10\noffer = 42\n");
    const auto e = hq::load_campaign_file(dir / "e.toml", k_eur);
    REQUIRE(e.errors.size() == 1);
    CHECK_THAT(e.errors[0].to_string(), Catch::Contains("offer: must be an offer id (a string) or an [offer] table"));
}

TEST_CASE("a campaign's budget is read in the chain's currency, with its decimal places") {
    const auto file = test::source_dir() / "firmware-config/examples/campaign-bakery.toml";  // budget = 500.00
    const auto yen = hq::load_campaign_file(file, domain::Currency{"JPY", 0});
    REQUIRE(yen.file);
    CHECK(yen.file->campaign.budget().minor_units() == 500);
    CHECK(yen.file->campaign.budget().currency() == "JPY");
    const auto dinar = hq::load_campaign_file(file, domain::Currency{"KWD", 3});
    REQUIRE(dinar.file);
    CHECK(dinar.file->campaign.budget().minor_units() == 500'000);
    CHECK(dinar.file->campaign.budget().currency() == "KWD");
}
