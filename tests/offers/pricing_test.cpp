// The offer and points engine, table-driven: a basket, offers and a shopper in; discount lines,
// points and coupons out. Every expected figure is worked out by hand in the comment beside it.
// The basket of every scenario:
//   line 1  milk      gtin M   dairy    3 x 1.19 = 3.57
//   line 2  bread     gtin B   bakery   1 x 3.49 = 3.49
//   line 3  bananas   gtin BN  produce  1.255 kg x 1.99/kg = 2.50 (weighed: one unit)
//   subtotal 9.56
#include "domain/offers/pricing.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <google/protobuf/util/json_util.h>
#include <map>
#include <random>

#include "domain/offers/offer_validation.hpp"

using namespace loyalty;
using namespace loyalty::domain;
using namespace loyalty::domain::offers;

namespace {

v1::SaleLine line(std::uint32_t no, const std::string& gtin, const std::string& department, std::int64_t units,
                  std::int64_t price) {
    v1::SaleLine l;
    l.set_line_no(no);
    l.set_gtin(gtin);
    l.set_description(gtin);
    l.set_department(department);
    l.mutable_quantity()->set_units(units);
    l.mutable_unit_price()->set_minor_units(price);
    l.mutable_line_total()->set_minor_units(units * price);
    return l;
}

std::vector<v1::SaleLine> basket_lines() {
    auto bananas = line(3, "BN", "produce", 1, 199);
    bananas.mutable_quantity()->set_weight_grams(1255);
    bananas.mutable_line_total()->set_minor_units(250);
    return {line(1, "M", "dairy", 3, 119), line(2, "B", "bakery", 1, 349), bananas};
}

v1::Offer offer(const std::string& json) {
    v1::Offer o;
    const auto status = google::protobuf::util::JsonStringToMessage(json, &o);
    INFO(json);
    REQUIRE(status.ok());
    const std::string problem = validate_offer(o, "EUR");
    INFO(problem);
    REQUIRE(problem.empty());
    return o;
}

// "2026-11-22 15:30:00" (a Sunday), store-local.
date::local_seconds local(const std::string& text) {
    std::istringstream in(text);
    date::local_seconds t;
    in >> date::parse("%F %T", t);
    REQUIRE_FALSE(in.fail());
    return t;
}

struct Shopper {
    enum Kind { none, anonymous, known } kind = known;
    v1::Tier tier = v1::TIER_STANDARD;
    std::string segment = "regular";
    int birthday_month = 7;
    std::vector<std::string> assigned{};
    std::map<std::string, std::uint32_t> redemptions{};
};

struct Result {
    domain::PricedBasket priced;
    std::map<std::string, std::int64_t> discounts;  // offer id -> amount
    std::int64_t payable = 0;
};

Result run(const std::vector<std::string>& offer_json, const Shopper& shopper,
           const std::string& now = "2026-11-22 15:30:00", std::int64_t points_to_redeem = 0,
           std::vector<std::string> codes = {}, v1::PointsRules rules = {},
           std::vector<v1::SaleLine> lines = basket_lines()) {
    std::vector<v1::Offer> offers;
    for (const auto& json : offer_json)
        offers.push_back(offer(json));
    std::vector<const v1::Offer*> candidates;
    for (const auto& o : offers)
        candidates.push_back(&o);
    domain::CustomerRecord customer;
    customer.loyalty_card = "6036000000000013";
    if (shopper.kind == Shopper::known) {
        customer.customer_id = "C1";
        customer.tier = shopper.tier;
        customer.segment = shopper.segment;
        customer.birthday_month = shopper.birthday_month;
        customer.assigned_offers = shopper.assigned;
        customer.redemptions = shopper.redemptions;
        customer.points_balance = 1000;
    }
    const std::string currency = "EUR";
    const std::string store = "S0042";
    const std::string sale_id = "S0042-T03-000001";
    const domain::BasketSnapshot snapshot{
        sale_id, lines, currency, shopper.kind == Shopper::none ? nullptr : &customer, store, points_to_redeem, codes};
    PricingContext context;
    context.store_id = store;
    context.currency = currency;
    context.local_now = local(now);
    context.points = rules;
    context.sale_id = "S0042-T03-000001";
    Result r;
    r.priced = price_basket(snapshot, candidates, context);
    std::int64_t subtotal = 0;
    for (const auto& l : lines)
        subtotal += l.line_total().minor_units();
    std::int64_t discounts = 0;
    for (const auto& d : r.priced.discounts) {
        CHECK_FALSE(d.receipt_text().empty());
        CHECK(d.amount().minor_units() > 0);
        r.discounts[d.offer_id()] += d.amount().minor_units();
        discounts += d.amount().minor_units();
        // An item-level discount says which lines it touched, and they add up to it.
        if (!d.targets().empty()) {
            std::int64_t on_lines = 0;
            for (const auto& t : d.targets())
                on_lines += t.amount().minor_units();
            CHECK(on_lines == d.amount().minor_units());
        }
    }
    r.payable = subtotal - discounts;
    CHECK(r.payable >= 0);  // sum(line totals) - sum(discounts) = payable >= 0
    return r;
}

const Shopper k_known{};
const Shopper k_anonymous{Shopper::anonymous};
const Shopper k_no_card{Shopper::none};

}  // namespace

TEST_CASE("offer kinds, one at a time") {
    SECTION("10% off an item: 3 x round(11.9) = 36") {
        auto r = run(
            {R"({"offerId":"P10M","receiptText":"10% off milk","percentOff":{"items":{"gtins":["M"]},"basisPoints":1000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"P10M", 36}});
        CHECK(r.payable == 956 - 36);
        REQUIRE(r.priced.discounts[0].targets_size() == 1);
        CHECK(r.priced.discounts[0].targets(0).line_no() == 1);
        CHECK(r.priced.discounts[0].targets(0).units() == 3);
    }
    SECTION("25% off a department: round(87.25) = 87") {
        auto r = run(
            {R"({"offerId":"P25B","receiptText":"25% off bakery","percentOff":{"items":{"departments":["bakery"]},"basisPoints":2500},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["P25B"] == 87);
    }
    SECTION("0.20 off each milk: 3 x 20 = 60") {
        auto r = run(
            {R"({"offerId":"A20","receiptText":"20c off milk","amountOff":{"items":{"gtins":["M"]},"amount":{"minorUnits":"20"},"perUnit":true},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["A20"] == 60);
    }
    SECTION("1.00 off dairy once: 100, spread over milk units") {
        auto r = run(
            {R"({"offerId":"A100","receiptText":"1.00 off dairy","amountOff":{"items":{"departments":["dairy"]},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["A100"] == 100);
    }
    SECTION("a discount never exceeds the price: 5.00 off each milk at 1.19 -> 3 x 1.19") {
        auto r = run(
            {R"({"offerId":"A500","receiptText":"5.00 off milk","amountOff":{"items":{"gtins":["M"]},"amount":{"minorUnits":"500"},"perUnit":true},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["A500"] == 357);
    }
    SECTION("50% off milk capped at 1.00") {
        auto r = run(
            {R"({"offerId":"CAP","receiptText":"half price milk","percentOff":{"items":{"gtins":["M"]},"basisPoints":5000,"maxDiscount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["CAP"] == 100);
    }
    SECTION("10% off the basket: round(95.6) = 96") {
        auto r = run(
            {R"({"offerId":"BASK10","receiptText":"10% off","percentOff":{"items":{"wholeBasket":true},"basisPoints":1000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["BASK10"] == 96);
        CHECK(r.priced.discounts[0].targets().empty());
    }
    SECTION("50.00 off a 9.56 basket: the basket goes to zero, not below") {
        auto r = run(
            {R"({"offerId":"BIG","receiptText":"50 off","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"5000"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["BIG"] == 956);
        CHECK(r.payable == 0);
    }
    SECTION("5.00 off 50.00: not reached with 9.56") {
        auto r = run(
            {R"({"offerId":"T50","receiptText":"5 off 50","basketThreshold":{"qualifying":{"wholeBasket":true},"minSpend":{"minorUnits":"5000"},"amountOff":{"minorUnits":"500"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts.empty());
    }
    SECTION("1.00 off 9.00: reached") {
        auto r = run(
            {R"({"offerId":"T9","receiptText":"1 off 9","basketThreshold":{"qualifying":{"wholeBasket":true},"minSpend":{"minorUnits":"900"},"amountOff":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["T9"] == 100);
    }
    SECTION("threshold on dairy spend: 3.57 >= 3.50 -> 10% of dairy spend = round(35.7) = 36") {
        auto r = run(
            {R"({"offerId":"TD","receiptText":"dairy deal","basketThreshold":{"qualifying":{"departments":["dairy"]},"minSpend":{"minorUnits":"350"},"basisPointsOff":1000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["TD"] == 36);
    }
    SECTION("3 for 2 on milk: one milk free = 119") {
        auto r = run(
            {R"({"offerId":"M3F2","receiptText":"3 for 2 milk","multiBuy":{"items":{"gtins":["M"]},"units":3,"payForUnits":2},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["M3F2"] == 119);
    }
    SECTION("2 for 2.00 on milk with 3 in the basket: one group, 2.38 - 2.00 = 38") {
        auto r = run(
            {R"({"offerId":"M2F200","receiptText":"2 for 2.00","multiBuy":{"items":{"gtins":["M"]},"units":2,"bundlePrice":{"minorUnits":"200"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["M2F200"] == 38);
    }
    SECTION("buy bread, get a milk free: 119") {
        auto r = run(
            {R"({"offerId":"BXGY","receiptText":"bread + free milk","buyXGetY":{"buy":{"gtins":["B"]},"buyUnits":1,"get":{"gtins":["M"]},"getUnits":1,"getBasisPointsOff":10000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["BXGY"] == 119);
    }
    SECTION("buy 2 milk, get the third half price: round(59.5) = 60") {
        auto r = run(
            {R"({"offerId":"BXGY50","receiptText":"3rd milk half price","buyXGetY":{"buy":{"gtins":["M"]},"buyUnits":2,"get":{"gtins":["M"]},"getUnits":1,"getBasisPointsOff":5000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["BXGY50"] == 60);
    }
    SECTION("free milk with a spend of 5.00 (9.56 spent): 119") {
        auto r = run(
            {R"({"offerId":"FREE","receiptText":"free milk","freeItem":{"item":{"gtins":["M"]},"minSpend":{"minorUnits":"500"},"maxUnits":1},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["FREE"] == 119);
    }
    SECTION("free milk with a spend of 20.00: not reached") {
        auto r = run(
            {R"({"offerId":"FREE20","receiptText":"free milk","freeItem":{"item":{"gtins":["M"]},"minSpend":{"minorUnits":"2000"},"maxUnits":1},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts.empty());
    }
}

TEST_CASE("best deal, stacking and exclusivity") {
    SECTION("10% off milk (36) against 3 for 2 (119) for the same units: 3 for 2 wins alone") {
        auto r = run(
            {R"({"offerId":"P10M","receiptText":"10% off milk","percentOff":{"items":{"gtins":["M"]},"basisPoints":1000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})",
             R"({"offerId":"M3F2","receiptText":"3 for 2 milk","multiBuy":{"items":{"gtins":["M"]},"units":3,"payForUnits":2},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"M3F2", 119}});
    }
    SECTION("a stacking 10% on top of 3 for 2: 119 + 12 + 12 = 143 (the free unit has nothing left)") {
        auto r = run(
            {R"({"offerId":"P10M","receiptText":"10% off milk","percentOff":{"items":{"gtins":["M"]},"basisPoints":1000},"stacking":{"stacksOnItemDiscounts":true},"targeting":{"audience":"AUDIENCE_EVERYONE"}})",
             R"({"offerId":"M3F2","receiptText":"3 for 2 milk","multiBuy":{"items":{"gtins":["M"]},"units":3,"payForUnits":2},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["M3F2"] + r.discounts["P10M"] == 143);
    }
    SECTION("two basket offers in one exclusivity group: only the larger, 1.00 over 0.96") {
        auto r = run(
            {R"({"offerId":"BASK10","receiptText":"10% off","percentOff":{"items":{"wholeBasket":true},"basisPoints":1000},"stacking":{"exclusivityGroup":"basket"},"targeting":{"audience":"AUDIENCE_EVERYONE"}})",
             R"({"offerId":"ONE","receiptText":"1.00 off","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"stacking":{"exclusivityGroup":"basket"},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"ONE", 100}});
    }
    SECTION("item-level before basket-level: 10% off basket is taken on what is left after 3 for 2") {
        // 9.56 - 1.19 = 8.37; 10% = 83.7 -> 84
        auto r = run(
            {R"({"offerId":"M3F2","receiptText":"3 for 2 milk","multiBuy":{"items":{"gtins":["M"]},"units":3,"payForUnits":2},"targeting":{"audience":"AUDIENCE_EVERYONE"}})",
             R"({"offerId":"BASK10","receiptText":"10% off","percentOff":{"items":{"wholeBasket":true},"basisPoints":1000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts["M3F2"] == 119);
        CHECK(r.discounts["BASK10"] == 84);
    }
    SECTION("an item offer (0.36) and a basket offer (1.00) sharing a group: the better one for the shopper") {
        auto r = run(
            {R"({"offerId":"P10M","receiptText":"10% off milk","percentOff":{"items":{"gtins":["M"]},"basisPoints":1000},"stacking":{"exclusivityGroup":"g"},"targeting":{"audience":"AUDIENCE_EVERYONE"}})",
             R"({"offerId":"ONE","receiptText":"1.00 off","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"stacking":{"exclusivityGroup":"g"},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
            k_no_card);
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"ONE", 100}});
    }
    SECTION("more than 8 competing offers (the greedy search): largest first, equal savings to the first id") {
        // Ten offers in one exclusivity group on milk: G0..G8 take 5% (6 per unit, 18), G9 takes 20%
        // (24 per unit, 72) and wins. Then the same ten at 5%: all save 18, the first id, G0, wins.
        std::vector<std::string> offers;
        for (int k = 0; k < 10; ++k) {
            offers.push_back(
                R"({"offerId":"G)" + std::to_string(k) +
                R"(","receiptText":"milk deal","percentOff":{"items":{"gtins":["M"]},"basisPoints":)" +
                (k == 9 ? "2000" : "500") +
                R"(},"stacking":{"exclusivityGroup":"milk"},"targeting":{"audience":"AUDIENCE_EVERYONE"}})");
        }
        auto best = run(offers, k_no_card);
        CHECK(best.discounts == std::map<std::string, std::int64_t>{{"G9", 72}});
        offers.back() =
            R"({"offerId":"G9","receiptText":"milk deal","percentOff":{"items":{"gtins":["M"]},"basisPoints":500},"stacking":{"exclusivityGroup":"milk"},"targeting":{"audience":"AUDIENCE_EVERYONE"}})";
        std::reverse(offers.begin(), offers.end());  // the order they are handed over in does not matter
        auto tie = run(offers, k_no_card);
        CHECK(tie.discounts == std::map<std::string, std::int64_t>{{"G0", 18}});
    }
}

TEST_CASE("targeting") {
    const std::string members =
        R"({"offerId":"MEM","receiptText":"members 1.00","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_MEMBERS"}})";
    CHECK(run({members}, k_no_card).discounts.empty());
    CHECK(run({members}, k_anonymous).discounts["MEM"] == 100);  // an anonymous chain card is a member
    const std::string assigned =
        R"({"offerId":"ASG","receiptText":"for you","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"150"}},"targeting":{"audience":"AUDIENCE_ASSIGNED"}})";
    Shopper with_assignment;
    with_assignment.assigned = {"ASG"};
    CHECK(run({assigned}, with_assignment).discounts["ASG"] == 150);
    CHECK(run({assigned}, k_known).discounts.empty());
    CHECK(run({assigned}, k_anonymous).discounts.empty());
    const std::string gold =
        R"({"offerId":"GOLD","receiptText":"gold","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_MEMBERS","tiers":["TIER_GOLD"]}})";
    Shopper gold_shopper;
    gold_shopper.tier = v1::TIER_GOLD;
    CHECK(run({gold}, gold_shopper).discounts["GOLD"] == 100);
    CHECK(run({gold}, k_known).discounts.empty());
    const std::string segment =
        R"({"offerId":"SEG","receiptText":"families","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_MEMBERS","segments":["families"]}})";
    Shopper family;
    family.segment = "families";
    CHECK(run({segment}, family).discounts["SEG"] == 100);
    CHECK(run({segment}, k_known).discounts.empty());
    const std::string birthday =
        R"({"offerId":"BDAY","receiptText":"happy birthday","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"300"}},"targeting":{"audience":"AUDIENCE_MEMBERS","birthdayMonth":true}})";
    Shopper november;
    november.birthday_month = 11;
    CHECK(run({birthday}, november).discounts["BDAY"] == 300);
    CHECK(run({birthday}, k_known).discounts.empty());  // July
    const std::string stores =
        R"({"offerId":"STORE","receiptText":"this store","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE","storeIds":["S0042","S0107"]}})";
    const std::string other_store =
        R"({"offerId":"ELSE","receiptText":"another store","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE","storeIds":["S0001"]}})";
    CHECK(run({stores}, k_no_card).discounts["STORE"] == 100);
    CHECK(run({other_store}, k_no_card).discounts.empty());
}

TEST_CASE("validity in store-local time: start inclusive, end exclusive, days, hours across midnight") {
    const std::string window =
        R"({"offerId":"WIN","receiptText":"weekend","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},
            "validity":{"starts":{"year":2026,"month":11,"day":21,"hour":0,"minute":0,"second":0},"ends":{"year":2026,"month":11,"day":23}}})";
    CHECK(run({window}, k_no_card, "2026-11-21 00:00:00").discounts["WIN"] == 100);  // the first second
    CHECK(run({window}, k_no_card, "2026-11-20 23:59:59").discounts.empty());
    CHECK(run({window}, k_no_card, "2026-11-22 23:59:59").discounts["WIN"] == 100);  // the last second
    CHECK(run({window}, k_no_card, "2026-11-23 00:00:00").discounts.empty());        // end is exclusive: midnight
    const std::string saturdays =
        R"({"offerId":"SAT","receiptText":"saturday","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},"validity":{"days":["DAY_OF_WEEK_SATURDAY"]}})";
    CHECK(run({saturdays}, k_no_card, "2026-11-21 10:00:00").discounts["SAT"] == 100);  // a Saturday
    CHECK(run({saturdays}, k_no_card, "2026-11-22 10:00:00").discounts.empty());        // a Sunday
    const std::string late =
        R"({"offerId":"LATE","receiptText":"night owl","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},"validity":{"fromMinuteOfDay":1320,"toMinuteOfDay":120}})";
    CHECK(run({late}, k_no_card, "2026-11-22 23:30:00").discounts["LATE"] == 100);
    CHECK(run({late}, k_no_card, "2026-11-23 01:59:59").discounts["LATE"] == 100);
    CHECK(run({late}, k_no_card, "2026-11-23 02:00:00").discounts.empty());
    CHECK(run({late}, k_no_card, "2026-11-22 12:00:00").discounts.empty());
}

TEST_CASE("limits and codes, enforced from local state") {
    const std::string once =
        R"({"offerId":"ONCE","receiptText":"once per customer","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_MEMBERS"},"limits":{"perCustomer":1}})";
    CHECK(run({once}, k_known).discounts["ONCE"] == 100);
    Shopper used;
    used.redemptions = {{"ONCE", 1}};
    CHECK(run({once}, used).discounts.empty());
    CHECK(run({once}, k_anonymous).discounts.empty());  // a per-customer limit needs a known customer
    const std::string coded =
        R"({"offerId":"SAVE5","receiptText":"coupon","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"500"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},"limits":{"requiresCode":true}})";
    CHECK(run({coded}, k_no_card).discounts.empty());
    CHECK(run({coded}, k_no_card, "2026-11-22 15:30:00", 0, {"SAVE5-7KQ2"}).discounts["SAVE5"] == 500);
    const std::string per_basket =
        R"({"offerId":"TWO","receiptText":"20c off milk, 2 max","amountOff":{"items":{"gtins":["M"]},"amount":{"minorUnits":"20"},"perUnit":true},"targeting":{"audience":"AUDIENCE_EVERYONE"},"limits":{"perBasket":2}})";
    CHECK(run({per_basket}, k_no_card).discounts["TWO"] == 40);
}

TEST_CASE("points: earned on what is paid, tier multipliers, bonuses, redemption as a discount") {
    v1::PointsRules rules;
    rules.set_points_per_currency_unit(1);
    rules.set_gold_multiplier_percent(150);
    rules.set_point_value_minor_units(1);
    CHECK(run({}, k_known, "2026-11-22 15:30:00", 0, {}, rules).priced.points_earned == 9);  // floor(9.56)
    Shopper gold;
    gold.tier = v1::TIER_GOLD;
    CHECK(run({}, gold, "2026-11-22 15:30:00", 0, {}, rules).priced.points_earned == 13);        // floor(9 x 1.5)
    CHECK(run({}, k_no_card, "2026-11-22 15:30:00", 0, {}, rules).priced.points_earned == 0);    // no card, no points
    CHECK(run({}, k_anonymous, "2026-11-22 15:30:00", 0, {}, rules).priced.points_earned == 9);  // the card earns
    auto bonus = run(
        {R"({"offerId":"BREAD50","receiptText":"50 bonus points","bonusPoints":{"items":{"gtins":["B"]},"pointsPerUnit":"50"},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
        k_known, "2026-11-22 15:30:00", 0, {}, rules);
    CHECK(bonus.priced.points_earned == 9 + 50);
    auto doubled = run(
        {R"({"offerId":"DAIRYX2","receiptText":"double points on dairy","pointsMultiplier":{"items":{"departments":["dairy"]},"multiplierPercent":200},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
        k_known, "2026-11-22 15:30:00", 0, {}, rules);
    CHECK(doubled.priced.points_earned == 9 + 3);  // dairy paid 3.57 -> 3 more
    auto threshold = run(
        {R"({"offerId":"T100","receiptText":"100 points over 5.00","basketThreshold":{"qualifying":{"wholeBasket":true},"minSpend":{"minorUnits":"500"},"bonusPoints":"100"},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
        k_known, "2026-11-22 15:30:00", 0, {}, rules);
    CHECK(threshold.priced.points_earned == 9 + 100);
    CHECK(threshold.discounts.empty());
    auto redeemed = run({}, k_known, "2026-11-22 15:30:00", 200, {}, rules);
    CHECK(redeemed.discounts["points"] == 200);
    CHECK(redeemed.payable == 756);
    CHECK(redeemed.priced.points_earned == 7);  // earned on what is paid after the redemption
}

TEST_CASE("next-visit coupons are issued by what the basket contains") {
    const std::string coupon =
        R"({"offerId":"NV","receiptText":"1.00 off next milk","nextVisitCoupon":{"trigger":{"gtins":["M"]},"triggerUnits":2,"couponOfferId":"MILK100","validDays":14},"targeting":{"audience":"AUDIENCE_MEMBERS"}})";
    auto r = run({coupon}, k_known);
    REQUIRE(r.priced.coupons.size() == 1);
    CHECK(r.priced.coupons[0].offer_id() == "MILK100");
    CHECK(r.priced.coupons[0].code() == "MILK100-S0042-T03-000001");
    const std::string four =
        R"({"offerId":"NV4","receiptText":"next time","nextVisitCoupon":{"trigger":{"gtins":["M"]},"triggerUnits":4,"couponOfferId":"X","validDays":14},"targeting":{"audience":"AUDIENCE_MEMBERS"}})";
    CHECK(run({four}, k_known).priced.coupons.empty());
}

TEST_CASE("malformed offers are refused with the reason") {
    auto problem = [](const std::string& json) {
        v1::Offer o;
        REQUIRE(google::protobuf::util::JsonStringToMessage(json, &o).ok());
        return validate_offer(o, "EUR");
    };
    CHECK_THAT(
        problem(
            R"({"offerId":"X","receiptText":"x","percentOff":{"items":{"gtins":["M"]},"basisPoints":0},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"),
        Catch::Contains("offer X: percent_off.basis_points must be 1..10000, got 0"));
    CHECK_THAT(
        problem(
            R"({"offerId":"X","receiptText":"x","amountOff":{"items":{},"amount":{"minorUnits":"5"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"),
        Catch::Contains("amount_off.items must name GTINs"));
    CHECK_THAT(
        problem(
            R"({"offerId":"X","receiptText":"x","amountOff":{"items":{"gtins":["M"]},"amount":{"minorUnits":"5","currency":"USD"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"),
        Catch::Contains("is in USD"));
    CHECK_THAT(problem(R"({"offerId":"X","receiptText":"x","targeting":{"audience":"AUDIENCE_EVERYONE"}})"),
               Catch::Contains("mechanic is missing"));
    CHECK_THAT(
        problem(
            R"({"offerId":"X","receiptText":"x","multiBuy":{"items":{"gtins":["M"]},"units":3,"payForUnits":3},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"),
        Catch::Contains("multi_buy.pay_for_units must be 1..units-1"));
    CHECK_THAT(
        problem(
            R"({"offerId":"X","receiptText":"x","amountOff":{"items":{"gtins":["M"]},"amount":{"minorUnits":"5"}}})"),
        Catch::Contains("targeting.audience"));
    CHECK_THAT(
        problem(
            R"({"offerId":"X","receiptText":"x","amountOff":{"items":{"gtins":["M"]},"amount":{"minorUnits":"5"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},
                          "validity":{"starts":{"year":2026,"month":11,"day":23},"ends":{"year":2026,"month":11,"day":21}}})"),
        Catch::Contains("validity.ends must be after validity.starts"));
    CHECK_THAT(problem(R"({"offerId":"","receiptText":"x"})"), Catch::Contains("offer_id must be"));
}

TEST_CASE("property: random baskets and offers keep the invariants, line order does not matter") {
    std::mt19937 random(20261122);
    const std::vector<std::string> gtins{"G1", "G2", "G3", "G4", "G5"};
    const std::vector<std::string> departments{"d1", "d2"};
    for (int round = 0; round < 300; ++round) {
        std::vector<v1::SaleLine> lines;
        const int n = 1 + static_cast<int>(random() % 6);
        for (int i = 0; i < n; ++i) {
            lines.push_back(line(static_cast<std::uint32_t>(i + 1), gtins[random() % gtins.size()],
                                 departments[random() % departments.size()],
                                 1 + static_cast<std::int64_t>(random() % 4),
                                 1 + static_cast<std::int64_t>(random() % 500)));
        }
        std::vector<std::string> offer_json;
        const int k = static_cast<int>(random() % 7);
        for (int i = 0; i < k; ++i) {
            const std::string id = "O" + std::to_string(i);
            const std::string target = "\"gtins\":[\"" + gtins[random() % gtins.size()] + "\"]";
            const std::string stacks = random() % 3 == 0 ? R"(,"stacking":{"stacksOnItemDiscounts":true})" : "";
            switch (random() % 5) {
                case 0:
                    offer_json.push_back(R"({"offerId":")" + id + R"(","receiptText":"p","percentOff":{"items":{)" +
                                         target + R"(},"basisPoints":)" + std::to_string(1 + random() % 10000) + "}" +
                                         stacks + R"(,"targeting":{"audience":"AUDIENCE_EVERYONE"}})");
                    break;
                case 1:
                    offer_json.push_back(R"({"offerId":")" + id + R"(","receiptText":"a","amountOff":{"items":{)" +
                                         target + R"(},"amount":{"minorUnits":")" + std::to_string(1 + random() % 600) +
                                         R"("},"perUnit":true})" + stacks +
                                         R"(,"targeting":{"audience":"AUDIENCE_EVERYONE"}})");
                    break;
                case 2:
                    offer_json.push_back(R"({"offerId":")" + id + R"(","receiptText":"m","multiBuy":{"items":{)" +
                                         target + R"(},"units":3,"payForUnits":2})" + stacks +
                                         R"(,"targeting":{"audience":"AUDIENCE_EVERYONE"}})");
                    break;
                case 3:
                    offer_json.push_back(
                        R"({"offerId":")" + id + R"(","receiptText":"b","buyXGetY":{"buy":{)" + target +
                        R"(},"buyUnits":1,"get":{"departments":["d1"]},"getUnits":1,"getBasisPointsOff":10000})" +
                        stacks + R"(,"targeting":{"audience":"AUDIENCE_EVERYONE"}})");
                    break;
                default:
                    offer_json.push_back(
                        R"({"offerId":")" + id +
                        R"(","receiptText":"t","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":")" +
                        std::to_string(1 + random() % 3000) + R"("}},"targeting":{"audience":"AUDIENCE_EVERYONE"}})");
            }
        }
        INFO("round " << round);
        const Result forward = run(offer_json, k_no_card, "2026-11-22 15:30:00", 0, {}, {}, lines);
        // No discount takes more from a line than the line is worth.
        std::map<std::uint32_t, std::int64_t> per_line;
        for (const auto& d : forward.priced.discounts) {
            for (const auto& t : d.targets())
                per_line[t.line_no()] += t.amount().minor_units();
        }
        for (const auto& l : lines)
            CHECK(per_line[l.line_no()] <= l.line_total().minor_units());
        std::vector<v1::SaleLine> reversed(lines.rbegin(), lines.rend());
        const Result backward = run(offer_json, k_no_card, "2026-11-22 15:30:00", 0, {}, {}, reversed);
        CHECK(backward.payable == forward.payable);
    }
}

TEST_CASE("review cases: redemption capped, exact codes, points offers and groups, nights belong to their evening") {
    v1::PointsRules rules;
    rules.set_points_per_currency_unit(1);
    rules.set_point_value_minor_units(1);
    rules.set_min_redemption_points(100);
    // 5,000 points asked for on a 9.56 basket: 956 used, not 5,000.
    auto capped = run({}, k_known, "2026-11-22 15:30:00", 5000, {}, rules);
    CHECK(capped.discounts["points"] == 956);
    CHECK(capped.priced.points_redeemed == 956);
    CHECK(capped.payable == 0);
    // Under the minimum: no redemption at all.
    CHECK(run({}, k_known, "2026-11-22 15:30:00", 50, {}, rules).priced.points_redeemed == 0);
    // A multiplier earns nothing on what points paid for.
    auto paid_by_points = run(
        {R"({"offerId":"X2","receiptText":"double","pointsMultiplier":{"items":{"departments":["dairy"]},"multiplierPercent":200},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
        k_known, "2026-11-22 15:30:00", 5000, {}, rules);
    CHECK(paid_by_points.priced.points_earned == 0);
    // Two points offers in one exclusivity group: one applies.
    auto grouped = run(
        {R"({"offerId":"B1","receiptText":"bonus 1","bonusPoints":{"items":{"gtins":["B"]},"pointsPerUnit":"50"},"stacking":{"exclusivityGroup":"pts"},"targeting":{"audience":"AUDIENCE_MEMBERS"}})",
         R"({"offerId":"B2","receiptText":"bonus 2","bonusPoints":{"items":{"gtins":["M"]},"pointsPerUnit":"10"},"stacking":{"exclusivityGroup":"pts"},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
        k_known, "2026-11-22 15:30:00", 0, {}, rules);
    CHECK(grouped.priced.points_earned == 9 + 50);
    // Codes are "<offer id>-<serial>": another offer's code with a longer id does not unlock this one.
    const std::string coded =
        R"({"offerId":"SAVE5","receiptText":"coupon","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"500"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},"limits":{"requiresCode":true}})";
    CHECK(run({coded}, k_no_card, "2026-11-22 15:30:00", 0, {"SAVE50-1"}).discounts.empty());
    CHECK(run({coded}, k_no_card, "2026-11-22 15:30:00", 0, {"SAVE5"}).discounts.empty());
    auto unlocked = run({coded}, k_no_card, "2026-11-22 15:30:00", 0, {"SAVE5-1"});
    REQUIRE(unlocked.priced.discounts.size() == 1);
    CHECK(unlocked.priced.discounts[0].coupon_code() == "SAVE5-1");
    // "Fridays 22:00-02:00": Saturday 01:00 is Friday night; Friday 01:00 is Thursday night.
    const std::string friday_nights =
        R"({"offerId":"FRI","receiptText":"friday night","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"},"validity":{"days":["DAY_OF_WEEK_FRIDAY"],"fromMinuteOfDay":1320,"toMinuteOfDay":120}})";
    CHECK(run({friday_nights}, k_no_card, "2026-11-20 23:00:00").discounts["FRI"] == 100);  // Friday 23:00
    CHECK(run({friday_nights}, k_no_card, "2026-11-21 01:00:00").discounts["FRI"] == 100);  // Saturday 01:00
    CHECK(run({friday_nights}, k_no_card, "2026-11-20 01:00:00").discounts.empty());        // Friday 01:00
    // "A free coffee when you spend 20.00": eight coffees at 2.50 are 20.00, but not once one is free.
    std::vector<v1::SaleLine> coffees{line(1, "COFFEE", "hot", 8, 250)};
    const std::string free_coffee =
        R"({"offerId":"FREECOF","receiptText":"free coffee","freeItem":{"item":{"gtins":["COFFEE"]},"minSpend":{"minorUnits":"2000"},"maxUnits":1},"targeting":{"audience":"AUDIENCE_EVERYONE"}})";
    CHECK(run({free_coffee}, k_no_card, "2026-11-22 15:30:00", 0, {}, {}, coffees).discounts.empty());
    coffees[0] = line(1, "COFFEE", "hot", 9, 250);  // 22.50: one free leaves 20.00
    CHECK(run({free_coffee}, k_no_card, "2026-11-22 15:30:00", 0, {}, {}, coffees).discounts["FREECOF"] == 250);
    // Equal savings: the offer head office ranked higher wins.
    auto ranked = run(
        {R"({"offerId":"A10","receiptText":"a","percentOff":{"items":{"gtins":["M"]},"basisPoints":1000},"targeting":{"audience":"AUDIENCE_EVERYONE"}})",
         R"({"offerId":"B10","receiptText":"b","percentOff":{"items":{"gtins":["M"]},"basisPoints":1000},"stacking":{"priority":5},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
        k_no_card);
    CHECK(ranked.discounts == std::map<std::string, std::int64_t>{{"B10", 36}});
    // A per-basket limit caps a free item too.
    auto one_free = run(
        {R"({"offerId":"FREE3","receiptText":"free milk","freeItem":{"item":{"gtins":["M"]},"maxUnits":3},"limits":{"perBasket":1},"targeting":{"audience":"AUDIENCE_EVERYONE"}})"},
        k_no_card);
    CHECK(one_free.discounts["FREE3"] == 119);
    // A line of 1,001 units: offers see 1,000 of them, never the whole line as one unit.
    std::vector<v1::SaleLine> pallet{line(1, "COFFEE", "hot", 1001, 200)};
    auto bulk = run({free_coffee}, k_no_card, "2026-11-22 15:30:00", 0, {}, {}, pallet);
    CHECK(bulk.discounts["FREECOF"] == 200);
}

TEST_CASE("second review cases: bundles that save nothing, limits, code prefixes, long lines, free items, ranks") {
    const std::string everyone = R"("targeting":{"audience":"AUDIENCE_EVERYONE"})";
    SECTION("a bundle price that saves nothing leaves the units to other offers (greedy path, 72 units)") {
        // M: any two of department D for 5.00: 35 pairs of P at 4.00 save 3.00 each = 105.00; the two Q
        // at 2.00 would cost more as a bundle, so they stay open and N takes 10% of each: 20 + 20.
        std::vector<v1::SaleLine> lines{line(1, "P", "D", 70, 400), line(2, "Q", "D", 2, 200)};
        auto r = run(
            {R"({"offerId":"M","receiptText":"2 for 5","multiBuy":{"items":{"departments":["D"]},"units":2,"bundlePrice":{"minorUnits":"500"}},)" +
                 everyone + "}",
             R"({"offerId":"N","receiptText":"10% Q","percentOff":{"items":{"gtins":["Q"]},"basisPoints":1000},)" +
                 everyone + "}"},
            k_no_card, "2026-11-22 15:30:00", 0, {}, {}, lines);
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"M", 10500}, {"N", 40}});
    }
    SECTION("buy X get Y: the tighter of max applications (3) and the per-basket limit (1)") {
        std::vector<v1::SaleLine> lines{line(1, "T", "D", 6, 100)};
        auto r = run(
            {R"({"offerId":"BOGO","receiptText":"bogof","buyXGetY":{"buy":{"gtins":["T"]},"buyUnits":1,"get":{"gtins":["T"]},"getUnits":1,"getBasisPointsOff":10000,"maxApplications":3},"limits":{"perBasket":1},)" +
             everyone + "}"},
            k_no_card, "2026-11-22 15:30:00", 0, {}, {}, lines);
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"BOGO", 100}});
    }
    SECTION("a code unlocks only the offer with the longest id it names") {
        const std::string save =
            R"({"offerId":"SAVE","receiptText":"save","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"limits":{"requiresCode":true},)" +
            everyone + "}";
        const std::string save10 =
            R"({"offerId":"SAVE-10","receiptText":"save 10","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"200"}},"limits":{"requiresCode":true},)" +
            everyone + "}";
        auto r = run({save, save10}, k_no_card, "2026-11-22 15:30:00", 0, {"SAVE-10-0001"});
        CHECK(r.discounts == std::map<std::string, std::int64_t>{{"SAVE-10", 200}});
        auto both = run({save, save10}, k_no_card, "2026-11-22 15:30:00", 0, {"SAVE-10-0001", "SAVE-0002"});
        CHECK(both.discounts == std::map<std::string, std::int64_t>{{"SAVE", 100}, {"SAVE-10", 200}});
    }
    SECTION("a single-use code that unlocks points is on the points line, so the sale spends it") {
        auto r = run(
            {R"({"offerId":"BP","receiptText":"bonus","bonusPoints":{"items":{"gtins":["B"]},"pointsPerUnit":"50"},"limits":{"requiresCode":true},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
            k_known, "2026-11-22 15:30:00", 0, {"BP-7"});
        REQUIRE(r.priced.points_lines.size() == 1);
        CHECK(r.priced.points_lines[0].offer_id() == "BP");
        CHECK(r.priced.points_lines[0].coupon_code() == "BP-7");
    }
    SECTION("units past the first 1,000 of a line count towards multipliers and coupon triggers") {
        // 1,500 x 1.00 = 1,500.00 paid: 1,500 base points, and 1,500 more at 200%.
        std::vector<v1::SaleLine> lines{line(1, "R", "rice", 1500, 100)};
        v1::PointsRules rules;
        rules.set_points_per_currency_unit(1);
        auto r = run(
            {R"({"offerId":"X2","receiptText":"double","pointsMultiplier":{"items":{"gtins":["R"]},"multiplierPercent":200},"targeting":{"audience":"AUDIENCE_MEMBERS"}})",
             R"({"offerId":"NV","receiptText":"next time","nextVisitCoupon":{"trigger":{"gtins":["R"]},"triggerUnits":1200,"triggerSpend":{"minorUnits":"120000"},"couponOfferId":"C5","validDays":14},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
            k_known, "2026-11-22 15:30:00", 0, {}, rules, lines);
        CHECK(r.priced.points_earned == 3000);
        REQUIRE(r.priced.coupons.size() == 1);
        CHECK(r.priced.coupons[0].offer_id() == "C5");
    }
    SECTION("two triggers naming the same coupon offer issue one coupon") {
        auto r = run(
            {R"({"offerId":"NV1","receiptText":"next time","nextVisitCoupon":{"trigger":{"gtins":["M"]},"triggerUnits":1,"couponOfferId":"C5","validDays":14},"targeting":{"audience":"AUDIENCE_MEMBERS"}})",
             R"({"offerId":"NV2","receiptText":"next time","nextVisitCoupon":{"trigger":{"gtins":["B"]},"triggerUnits":1,"couponOfferId":"C5","validDays":14},"targeting":{"audience":"AUDIENCE_MEMBERS"}})"},
            k_known);
        CHECK(r.priced.coupons.size() == 1);
    }
    SECTION("a free item's minimum spend does not depend on which other offer is solved first") {
        // Subtotal 27.00; without the free C (2.00) 25.00 >= 20.00, whatever 30% off W takes.
        std::vector<v1::SaleLine> lines{line(1, "W", "wine", 1, 2500), line(2, "C", "snacks", 1, 200)};
        const std::string wine =
            R"({"offerId":"M30","receiptText":"30% wine","percentOff":{"items":{"gtins":["W"]},"basisPoints":3000},"limits":{"perBasket":1},)" +
            everyone + "}";
        for (const std::string id : {"A", "Z"}) {
            auto r = run(
                {R"({"offerId":")" + id +
                     R"(","receiptText":"free snack","freeItem":{"item":{"gtins":["C"]},"minSpend":{"minorUnits":"2000"},"maxUnits":1},)" +
                     everyone + "}",
                 wine},
                k_no_card, "2026-11-22 15:30:00", 0, {}, {}, lines);
            CHECK(r.discounts == std::map<std::string, std::int64_t>{{id, 200}, {"M30", 750}});
        }
    }
    SECTION("the greedy search honours priority like the exhaustive one") {
        std::vector<std::string> offers;
        for (int k = 0; k < 10; ++k) {
            offers.push_back(
                R"({"offerId":"G)" + std::to_string(k) +
                R"(","receiptText":"milk deal","percentOff":{"items":{"gtins":["M"]},"basisPoints":500},"stacking":{"exclusivityGroup":"milk","priority":)" +
                (k == 5 ? "10" : "0") + "}," + everyone + "}");
        }
        CHECK(run(offers, k_no_card).discounts == std::map<std::string, std::int64_t>{{"G5", 18}});
    }
}
