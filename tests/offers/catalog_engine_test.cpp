// The engine loyaltyd runs, end to end through the lane and a real store: validity in the store's
// time zone, points redeemed and earned, a per-customer limit used up by a sale and given back by
// its return.
#include <catch2/catch.hpp>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "domain/offers/catalog_offer_engine.hpp"
#include "terminal/lane/lane.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::domain;
using namespace loyalty::terminal;

namespace {

Clock::time_point utc(const char* text) {
    google::protobuf::Timestamp t;
    REQUIRE(google::protobuf::util::TimeUtil::FromString(text, &t));
    return Clock::time_point{std::chrono::seconds{t.seconds()}};
}

v1::Offer offer(const std::string& json) {
    v1::Offer o;
    REQUIRE(google::protobuf::util::JsonStringToMessage(json, &o).ok());
    return o;
}

std::vector<v1::SaleLine> bread() {
    v1::SaleLine l;
    l.set_line_no(1);
    l.set_gtin("B");
    l.set_department("bakery");
    l.mutable_quantity()->set_units(1);
    l.mutable_unit_price()->set_minor_units(349);
    l.mutable_line_total()->set_minor_units(349);
    return {l};
}

}  // namespace

TEST_CASE("validity is read in the store's own time zone") {
    Clock::time_point now = utc("2026-11-22T21:59:00Z");  // 22:59 in Berlin (UTC+1 in November)
    domain::offers::CatalogOfferEngine engine("S0042", "EUR", 2, "Europe/Berlin", [&] { return now; });
    engine.load(
        {offer(
            R"({"offerId":"TODAY","receiptText":"today only","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},
                          "targeting":{"audience":"AUDIENCE_EVERYONE"},"validity":{"ends":{"year":2026,"month":11,"day":22,"hour":23}}})")},
        {});
    const auto lines = bread();
    const std::string sale_id = "S", currency = "EUR", store = "S0042";
    const std::vector<std::string> codes;
    const domain::BasketSnapshot basket{sale_id, lines, currency, nullptr, store, 0, codes};
    CHECK(engine.price(basket).discounts.size() == 1);
    now = utc("2026-11-22T22:00:00Z");  // 23:00 in Berlin: the offer has ended, though it is 22:00 UTC
    CHECK(engine.price(basket).discounts.empty());
    // The same offer in Tokyo (UTC+9): 13:30 UTC is 22:30 there, live; 14:30 UTC is 23:30, ended.
    now = utc("2026-11-22T13:30:00Z");
    domain::offers::CatalogOfferEngine tokyo("S0900", "EUR", 2, "Asia/Tokyo", [&] { return now; });
    tokyo.load(
        {offer(
            R"({"offerId":"TODAY","receiptText":"today only","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},
                         "targeting":{"audience":"AUDIENCE_EVERYONE"},"validity":{"ends":{"year":2026,"month":11,"day":22,"hour":23}}})")},
        {});
    CHECK(tokyo.price(basket).discounts.size() == 1);
    now = utc("2026-11-22T14:30:00Z");
    CHECK(tokyo.price(basket).discounts.empty());
}

TEST_CASE("points redeemed and earned, and a per-customer limit given back by a return") {
    test::TempDir dir;
    TerminalConfig config;
    config.store_id = "S0042";
    config.terminal_id = "S0042-T03";
    config.currency = "EUR";
    config.minor_unit_exponent = 2;
    config.time_zone = "Europe/Berlin";
    config.card_ranges = {{"reward card", "6036", 16, CheckDigit::luhn}};
    LocalStore store(
        LocalStoreOptions{.data_dir = dir / "data", .terminal_id = config.terminal_id, .store_id = config.store_id});
    store.database().exec(
        "INSERT INTO customers (customer_id, given_name, family_name, tier, points_balance, origin, updated_at) "
        "VALUES ('C1', 'Ann', 'Lee', 1, 1000, 'head_office', 0);"
        "INSERT INTO customer_cards (loyalty_card, customer_id) VALUES ('6036000000000013', 'C1');");
    domain::offers::CatalogOfferEngine engine(config.store_id, config.currency, 2, config.time_zone,
                                              [] { return utc("2026-11-22T14:00:00Z"); });
    v1::PointsRules rules;
    rules.set_points_per_currency_unit(1);
    rules.set_point_value_minor_units(1);
    rules.set_min_redemption_points(100);
    engine.load(
        {offer(
             R"({"offerId":"BAKERY-10","receiptText":"10% off bakery","percentOff":{"items":{"departments":["bakery"]},"basisPoints":1000},
                          "targeting":{"audience":"AUDIENCE_MEMBERS"},"limits":{"perCustomer":1}})"),
         offer(
             R"({"offerId":"BONUS","receiptText":"25 bonus points","bonusPoints":{"items":{"gtins":["B"]},"pointsPerUnit":"25"},
                          "targeting":{"audience":"AUDIENCE_MEMBERS"},"limits":{"perCustomer":1}})")},
        rules);
    Lane lane(config, store, engine);
    auto uses = [&] {
        return store.database().query_int64("SELECT sum(uses) FROM offer_redemptions WHERE customer_id = 'C1'");
    };
    auto send = [&](const std::string& json) {
        v1::PosRequest request;
        REQUIRE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
        return lane.handle(request);
    };
    const std::string item =
        R"({"addItem":{"gtin":"B","description":"Bread","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"1000"}}})";
    const std::string sale_id = send(R"({"beginBasket":{"cashierId":"C-1"}})").basket().sale_id();
    send(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    auto view = send(item).basket();
    CHECK(view.discounts(0).amount().minor_units() == 100);  // 10% of 10.00
    CHECK(send(R"({"redeemPoints":{"points":"50"}})").error().code() ==
          v1::POS_ERROR_CODE_INVALID_FIELD);  // under the minimum
    CHECK(send(R"({"redeemPoints":{"points":"2000"}})").error().code() == v1::POS_ERROR_CODE_INSUFFICIENT_POINTS);
    view = send(R"({"redeemPoints":{"points":"200"}})").basket();
    CHECK(view.totals().payable().minor_units() == 1000 - 100 - 200);
    CHECK(view.points().redeemed() == 200);
    CHECK(view.points().earned() == 7 + 25);  // floor(7.00), and the bonus
    CHECK(view.points().balance_after() == 1000 - 200 + 7 + 25);
    const auto done =
        send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"700"}}]}})");
    REQUIRE(done.has_sale_completed());
    CHECK(uses() == 2);  // the discount and the points offer

    // The limit is used: the next basket does not get the offer, and the pending redemption lowers what is available.
    send(R"({"beginBasket":{"cashierId":"C-1"}})");
    send(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    view = send(item).basket();
    CHECK(view.discounts().empty());
    CHECK(view.customer().points_available() == 800);
    send(R"({"voidBasket":{"reason":"VOID_REASON_CUSTOMER_CANCELLED"}})");

    // The whole sale comes back: points taken back and given back, and the offer may be used again.
    const auto back = send(R"({"returnSale":{"originalSaleId":")" + sale_id + R"("}})");
    REQUIRE(back.has_return_completed());
    CHECK(back.return_completed().refund_total().minor_units() == 700);
    CHECK(back.return_completed().points_reversed() == 7 + 25);
    CHECK(back.return_completed().points_given_back() == 200);
    CHECK(uses() == 0);  // both given back, the points offer's too
    send(R"({"beginBasket":{"cashierId":"C-1"}})");
    send(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    CHECK(send(item).basket().discounts(0).offer_id() == "BAKERY-10");
}

TEST_CASE("a single-use coupon code is spent by the sale that used it") {
    test::TempDir dir;
    TerminalConfig config;
    config.store_id = "S0042";
    config.terminal_id = "S0042-T03";
    config.currency = "EUR";
    config.time_zone = "Europe/Berlin";
    config.card_ranges = {{"reward card", "6036", 16, CheckDigit::luhn}};
    LocalStore store(
        LocalStoreOptions{.data_dir = dir / "data", .terminal_id = config.terminal_id, .store_id = config.store_id});
    domain::offers::CatalogOfferEngine engine(config.store_id, config.currency, 2, config.time_zone);
    engine.load(
        {offer(
            R"({"offerId":"SAVE1","receiptText":"1.00 coupon","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},
                          "targeting":{"audience":"AUDIENCE_EVERYONE"},"limits":{"requiresCode":true}})")},
        {});
    Lane lane(config, store, engine);
    auto send = [&](const std::string& json) {
        v1::PosRequest request;
        REQUIRE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
        return lane.handle(request);
    };
    const std::string item =
        R"({"addItem":{"gtin":"B","description":"Bread","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"500"}}})";
    send(R"({"beginBasket":{"cashierId":"C-1"}})");
    send(item);
    CHECK(send(R"({"applyCoupon":{"code":"SAVE1"}})").error().code() == v1::POS_ERROR_CODE_COUPON_NOT_VALID);
    const auto applied = send(R"({"applyCoupon":{"code":"SAVE1-A7"}})");
    REQUIRE(applied.has_basket());
    CHECK(applied.basket().totals().payable().minor_units() == 400);
    REQUIRE(send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"400"}}]}})")
                .has_sale_completed());
    send(R"({"beginBasket":{"cashierId":"C-1"}})");
    send(item);
    const auto again = send(R"({"applyCoupon":{"code":"SAVE1-A7"}})");
    REQUIRE(again.has_error());
    CHECK(again.error().code() == v1::POS_ERROR_CODE_COUPON_NOT_VALID);
    CHECK_THAT(again.error().message(), Catch::Contains("already used"));
}

TEST_CASE("a coupon code belongs to the offer with the longest id it names, whatever the basket holds") {
    domain::offers::CatalogOfferEngine engine("S0042", "EUR", 2, "Europe/Berlin");
    engine.load(
        {offer(
             R"({"offerId":"SAVE","receiptText":"1.00 off","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},
                   "targeting":{"audience":"AUDIENCE_EVERYONE"},"limits":{"requiresCode":true}})"),
         offer(
             R"({"offerId":"SAVE-10","receiptText":"10% off wine","percentOff":{"items":{"gtins":["WINE"]},"basisPoints":1000},
                   "targeting":{"audience":"AUDIENCE_EVERYONE"},"limits":{"requiresCode":true}})")},
        {});
    const std::string currency = "EUR";
    const std::string store = "S0042";
    const std::string sale = "S0042-T03-000001";
    // No wine in the basket, so SAVE-10 is not triggered by it; its code still does not unlock SAVE.
    const std::vector<std::string> wine_code{"SAVE-10-0001"};
    CHECK(engine.price({sale, bread(), currency, nullptr, store, 0, wine_code}).discounts.empty());
    const std::vector<std::string> save_code{"SAVE-0002"};
    const auto priced = engine.price({sale, bread(), currency, nullptr, store, 0, save_code});
    REQUIRE(priced.discounts.size() == 1);
    CHECK(priced.discounts[0].offer_id() == "SAVE");
    CHECK(engine.knows_coupon("SAVE-10-0001"));
    CHECK(engine.knows_coupon("SAVE-0002"));
    CHECK_FALSE(engine.knows_coupon("SAVE-"));
    CHECK_FALSE(engine.knows_coupon("OTHER-1"));
}
