// The lane: what a POS can ask of the terminal, against a real local store on disk. Amounts are
// worked out by hand in each test.
#include "terminal/lane/lane.hpp"

#include <catch2/catch.hpp>
#include <google/protobuf/util/json_util.h>

#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using loyalty::test::TempDir;

namespace {

TerminalConfig test_config() {
    TerminalConfig config;
    config.store_id = "S0042";
    config.terminal_id = "S0042-T03";
    config.currency = "EUR";
    config.minor_unit_exponent = 2;
    config.time_zone = "Europe/Berlin";
    config.card_ranges = {{"reward card", "6036", 16, CheckDigit::luhn}, {"key fob", "299", 13, CheckDigit::gs1_mod10}};
    config.reader.debounce = std::chrono::milliseconds(1500);
    return config;
}

// A lane on a store in a temporary folder, with a request helper taking protobuf JSON.
struct LaneFixture {
    TempDir dir;
    TerminalConfig config = test_config();
    domain::NoOffers offers;
    std::unique_ptr<LocalStore> store;
    std::unique_ptr<Lane> lane;
    std::vector<v1::PosEvent> events;
    std::uint64_t next_id = 1;
    Clock::time_point now = Clock::now();  // the lane's wall clock, moved by the tests

    LaneFixture() { reopen(); }

    void reopen(std::uint64_t budget = 0) {
        lane.reset();
        store.reset();
        store = std::make_unique<LocalStore>(LocalStoreOptions{.data_dir = dir / "data",
                                                               .disk_budget_bytes = budget,
                                                               .terminal_id = config.terminal_id,
                                                               .store_id = config.store_id});
        lane = std::make_unique<Lane>(config, *store, offers, [this] { return now; });
        lane->set_publisher([this](const v1::PosEvent& e) { events.push_back(e); });
    }

    // The text with "{tag}" replaced by the store's id tag ("S0042-T03-{tag}-000001").
    std::string tagged(std::string text) const {
        for (auto at = text.find("{tag}"); at != std::string::npos; at = text.find("{tag}", at))
            text.replace(at, 5, store->id_tag());
        return text;
    }

    v1::PosResponse send(const std::string& request_json) {
        const std::string json = tagged(request_json);
        v1::PosRequest request;
        const auto status = google::protobuf::util::JsonStringToMessage(json, &request);
        INFO(json);
        REQUIRE(status.ok());
        request.set_request_id(next_id++);
        v1::PosResponse response = lane->handle(request);
        CHECK(response.request_id() == request.request_id());
        return response;
    }

    v1::BasketView basket(const std::string& json) {
        const auto response = send(json);
        INFO(response.DebugString());
        REQUIRE(response.has_basket());
        return response.basket();
    }

    v1::PosError error(const std::string& json) {
        const auto response = send(json);
        INFO(response.DebugString());
        REQUIRE(response.has_error());
        return response.error();
    }

    std::int64_t count(const std::string& sql) { return store->database().query_int64(tagged(sql)).value(); }
};

const std::string k_bananas =
    R"({"addItem":{"gtin":"2000000012345","description":"Bananas loose","department":"produce",
        "quantity":{"weightGrams":"1255"},"unitPrice":{"minorUnits":"199","currency":"EUR"}}})";
const std::string k_milk =
    R"({"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy",
        "quantity":{"units":"3"},"unitPrice":{"minorUnits":"119"}}})";

}  // namespace

TEST_CASE_METHOD(LaneFixture, "a basket rung up and completed: totals, change, one durable sale with its event") {
    auto view = basket(R"({"beginBasket":{"cashierId":"C-108"}})");
    CHECK(view.sale_id() == tagged("S0042-T03-{tag}-000001"));
    view = basket(k_bananas);
    // 1.99/kg x 1.255 kg = 2.49745 -> 2.50 (half up)
    CHECK(view.lines(0).line_total().minor_units() == 250);
    view = basket(k_milk);
    CHECK(view.lines(1).line_no() == 2);
    CHECK(view.totals().subtotal().minor_units() == 250 + 357);
    CHECK(view.totals().payable().minor_units() == 607);

    const auto response =
        send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"1000"}}]}})");
    REQUIRE(response.has_sale_completed());
    const auto& receipt = response.sale_completed();
    CHECK(receipt.change_due().minor_units() == 393);
    CHECK(receipt.sequence() == 1);
    CHECK(receipt.basket().lines_size() == 2);
    CHECK_FALSE(lane->basket_open());
    CHECK(count("SELECT count(*) FROM sales WHERE sale_id = 'S0042-T03-{tag}-000001' AND total = 607") == 1);
    CHECK(count("SELECT count(*) FROM outbox WHERE kind = 'purchase'") == 1);
    CHECK(count("SELECT count(*) FROM open_basket") == 0);
    // The next basket gets the next number.
    CHECK(basket(R"({"beginBasket":{"cashierId":"C-108"}})").sale_id() == tagged("S0042-T03-{tag}-000002"));
}

TEST_CASE_METHOD(LaneFixture, "the open basket comes back after a restart, customer and all") {
    basket(R"({"beginBasket":{"cashierId":"C-7"}})");
    basket(k_milk);
    basket(k_bananas);
    basket(R"({"removeLine":{"lineNo":1}})");
    send(R"({"identifyCard":{"cardText":"6036 0000 0000 0013"}})");
    reopen();
    CHECK(lane->basket_open());
    const auto view = basket(R"({"getTotals":{}})");
    CHECK(view.sale_id() == tagged("S0042-T03-{tag}-000001"));
    REQUIRE(view.lines_size() == 1);
    CHECK(view.lines(0).line_no() == 2);
    CHECK(view.customer().loyalty_card() == "6036000000000013");
    CHECK(view.customer().anonymous());
    // Line numbers continue after the highest one, not reusing removed ones in between.
    CHECK(basket(k_milk).lines(1).line_no() == 3);
}

TEST_CASE_METHOD(LaneFixture, "bad requests get a typed error naming the problem, and the basket survives them") {
    CHECK(error(k_milk).code() == v1::POS_ERROR_CODE_NO_OPEN_BASKET);
    basket(R"({"beginBasket":{"cashierId":"C-1"}})");
    basket(k_milk);

    auto e = error(
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"0"},"unitPrice":{"minorUnits":"1"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_QUANTITY);
    CHECK(e.field() == "quantity");
    e = error(
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"-2"},"unitPrice":{"minorUnits":"1"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_QUANTITY);
    CHECK_THAT(e.message(), Catch::Contains("must be positive, got -2"));
    e = error(
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"weightGrams":"-5"},"unitPrice":{"minorUnits":"1"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_QUANTITY);
    e = error(
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"9000"},"unitPrice":{"minorUnits":"4611686018427387904"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_AMOUNT_OVERFLOW);
    e = error(
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"1"},"unitPrice":{"minorUnits":"100","currency":"USD"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_CURRENCY_MISMATCH);
    e = error(
        R"({"addItem":{"description":"x","department":"d","quantity":{"units":"1"},"unitPrice":{"minorUnits":"100"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_MISSING_FIELD);
    CHECK(e.field() == "gtin");
    e = error(R"({"addItem":{"gtin":"1","description":"x","department":"d","unitPrice":{"minorUnits":"100"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_MISSING_FIELD);
    e = error(
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"1"},"unitPrice":{"minorUnits":"-100"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_FIELD);
    e = error(R"({"changeQuantity":{"lineNo":9,"quantity":{"units":"1"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_LINE_NOT_FOUND);
    e = error(R"({"changeQuantity":{"lineNo":1,"quantity":{"weightGrams":"100"}}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_FIELD);
    e = error(R"({"beginBasket":{"cashierId":"C-1"}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_BASKET_ALREADY_OPEN);
    e = error(R"({})");
    CHECK(e.code() == v1::POS_ERROR_CODE_UNKNOWN_REQUEST);
    e = error(R"({"redeemPoints":{"points":"100"}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_FIELD);
    e = error(R"({"applyCoupon":{"code":"SAVE5"}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_COUPON_NOT_VALID);

    // Still exactly as before the bad requests.
    const auto view = basket(R"({"getTotals":{}})");
    REQUIRE(view.lines_size() == 1);
    CHECK(view.totals().payable().minor_units() == 357);
    CHECK(basket(R"({"changeQuantity":{"lineNo":1,"quantity":{"units":"2"}}})").totals().payable().minor_units() ==
          238);
}

TEST_CASE_METHOD(LaneFixture, "tenders must cover the total, only cash gives change") {
    basket(R"({"beginBasket":{"cashierId":"C-1"}})");
    basket(k_milk);  // 3.57
    auto e = error(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"300"}}]}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_TENDER_SHORT);
    CHECK(e.message() == "tenders cover 3.00 of 3.57");
    e = error(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CARD","amount":{"minorUnits":"400"}}]}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_FIELD);
    e = error(R"({"completeSale":{"tenders":[{"amount":{"minorUnits":"400"}}]}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_MISSING_FIELD);
    CHECK(lane->basket_open());
    CHECK(count("SELECT count(*) FROM sales") == 0);
    const auto ok = send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CARD","amount":{"minorUnits":"157"}},
                                                       {"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"500"}}]}})");
    REQUIRE(ok.has_sale_completed());
    CHECK(ok.sale_completed().change_due().minor_units() == 300);
}

TEST_CASE_METHOD(LaneFixture, "a retried completion answers with the same receipt and stores the sale once") {
    basket(R"({"beginBasket":{"cashierId":"C-1"}})");
    basket(k_milk);
    const std::string complete =
        R"({"completeSale":{"saleId":"S0042-T03-{tag}-000001","tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"500"}}]}})";
    const auto first = send(complete);
    REQUIRE(first.has_sale_completed());
    reopen();
    const auto again = send(complete);
    REQUIRE(again.has_sale_completed());
    CHECK(again.sale_completed().sequence() == first.sale_completed().sequence());
    CHECK(again.sale_completed().basket().totals().payable().minor_units() == 357);
    CHECK(again.sale_completed().change_due().minor_units() == 143);
    CHECK(count("SELECT count(*) FROM sales") == 1);
    CHECK(count("SELECT count(*) FROM outbox") == 1);
    CHECK(error(R"({"completeSale":{"saleId":"S0042-T03-{tag}-000777"}})").code() == v1::POS_ERROR_CODE_SALE_NOT_FOUND);
}

TEST_CASE_METHOD(LaneFixture, "voiding records the basket's lines and closes it for good") {
    basket(R"({"beginBasket":{"cashierId":"C-1"}})");
    basket(k_milk);
    CHECK(error(R"({"voidBasket":{}})").code() == v1::POS_ERROR_CODE_MISSING_FIELD);
    basket(R"({"voidBasket":{"reason":"VOID_REASON_CUSTOMER_CANCELLED","note":"changed mind"}})");
    CHECK_FALSE(lane->basket_open());
    reopen();
    CHECK_FALSE(lane->basket_open());
    const auto pending = store->unacked_events(0, 10);
    REQUIRE(pending.size() == 1);
    v1::Event event;
    REQUIRE(event.ParseFromString(pending[0].body));
    CHECK(event.void_sale().sale_id() == tagged("S0042-T03-{tag}-000001"));
    CHECK(event.void_sale().lines_size() == 1);
    CHECK(event.void_sale().total().minor_units() == 357);
    CHECK(event.header().cashier_id() == "C-1");
}

TEST_CASE_METHOD(LaneFixture,
                 "cards keyed at the till: chain cards identify, others are refused without echoing a digit") {
    auto response = send(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    REQUIRE(response.has_customer());
    CHECK(response.customer().anonymous());
    REQUIRE(events.size() == 1);
    CHECK(events[0].has_card_identified());
    // Identified before the basket: attached when it begins.
    CHECK(basket(R"({"beginBasket":{"cashierId":"C-1"}})").customer().loyalty_card() == "6036000000000013");

    const auto e = error(R"({"identifyCard":{"cardText":"4111 1111 1111 1111"}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_CARD_REFUSED);
    CHECK_THAT(e.message(), Catch::Contains("payment card"));
    std::string wire;
    REQUIRE(google::protobuf::util::MessageToJsonString(e, &wire).ok());
    CHECK(wire.find("4111") == std::string::npos);
    CHECK(wire.find("1111") == std::string::npos);
    CHECK(error(R"({"identifyCard":{"cardText":"6036000000000014"}})").code() == v1::POS_ERROR_CODE_CARD_REFUSED);
}

TEST_CASE_METHOD(LaneFixture, "a card read before the basket joins it only if the basket begins soon after") {
    send(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    now += std::chrono::seconds(90);
    CHECK(basket(R"({"beginBasket":{"cashierId":"C-1"}})").customer().loyalty_card() == "6036000000000013");
    basket(R"({"voidBasket":{"reason":"VOID_REASON_CASHIER_ERROR"}})");
    send(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    now += std::chrono::minutes(5);  // that shopper left; the next basket is someone else's
    CHECK_FALSE(basket(R"({"beginBasket":{"cashierId":"C-1"}})").has_customer());
}

TEST_CASE_METHOD(LaneFixture, "reader reads: identified, debounced, refused with a reason and no number") {
    const auto t0 = card::Debouncer::Clock::now();
    lane->card_read(";6036000000000013=4912101?", false, t0);
    lane->card_read(";6036000000000013=4912101?", false, t0 + std::chrono::milliseconds(300));  // same swipe again
    lane->card_read(";4111111111111111=2812201?", false, t0 + std::chrono::milliseconds(600));
    lane->card_read(";6036000000000013=49", false, t0 + std::chrono::milliseconds(900));
    lane->card_read("2990000000019", true, t0 + std::chrono::milliseconds(1000));  // no terminator came
    REQUIRE(events.size() == 4);
    CHECK(events[3].card_refused().reason() == v1::CARD_REFUSAL_REASON_UNREADABLE);
    CHECK(events[0].card_identified().customer().loyalty_card() == "6036000000000013");
    CHECK(events[1].card_refused().reason() == v1::CARD_REFUSAL_REASON_PAYMENT_CARD);
    CHECK(events[2].card_refused().reason() == v1::CARD_REFUSAL_REASON_UNREADABLE);
    CHECK_THAT(events[2].card_refused().message(), Catch::Contains("swipe again"));
    std::string all;
    for (const auto& e : events)
        all += e.SerializeAsString();
    CHECK(all.find("4111111111111111") == std::string::npos);
}

TEST_CASE_METHOD(LaneFixture, "enrollment at the till: usable at once, found by card, phone and e-mail") {
    const std::string enroll = R"({"enrollCustomer":{"cardText":"6036000000123450",
        "contact":{"givenName":"Jane","familyName":"Doe","email":"Jane.Doe@Example.com","phone":"+49 30 1234567",
                   "birthday":{"month":7,"day":14}},
        "consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true},
                    {"purpose":"CONSENT_PURPOSE_PROFILING","granted":true}]}})";
    const auto response = send(enroll);
    INFO(response.DebugString());
    REQUIRE(response.has_customer());
    CHECK(response.customer().customer_id() == tagged("S0042-T03-{tag}-C000001"));
    CHECK(response.customer().display_name() == "Jane D.");
    CHECK_FALSE(response.customer().anonymous());

    CHECK(send(R"({"identifyCard":{"cardText":"6036000000123450"}})").customer().customer_id() ==
          tagged("S0042-T03-{tag}-C000001"));
    CHECK(send(R"({"lookupCustomer":{"phone":"+4930 1234567"}})").matches().customers_size() == 1);
    CHECK(send(R"({"lookupCustomer":{"email":"jane.doe@example.com"}})").matches().customers_size() == 1);
    CHECK(send(R"({"lookupCustomer":{"email":"other@example.com"}})").matches().customers_size() == 0);
    CHECK(error(R"({"lookupCustomer":{"phone":"12"}})").code() == v1::POS_ERROR_CODE_INVALID_FIELD);

    CHECK(error(enroll).code() == v1::POS_ERROR_CODE_INVALID_FIELD);  // already enrolled
    CHECK(error(R"({"enrollCustomer":{"cardText":"6036000000000013","contact":{"givenName":"Al"}}})").code() ==
          v1::POS_ERROR_CODE_MISSING_FIELD);  // no programme terms
    CHECK(error(R"({"enrollCustomer":{"cardText":"6036000000000013","contact":{"givenName":"Al","email":"al@"},
                "consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true}]}})")
              .field() == "contact.email");
    CHECK(
        error(
            R"({"enrollCustomer":{"cardText":"6036000000000013","contact":{"givenName":"Al","birthday":{"month":2,"day":30}},
                "consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true}]}})")
            .field() == "contact.birthday");
    CHECK(error(R"({"enrollCustomer":{"cardText":"4111111111111111","contact":{"givenName":"Al"},
                "consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true}]}})")
              .code() == v1::POS_ERROR_CODE_CARD_REFUSED);
    CHECK(count("SELECT count(*) FROM customers") == 1);
    CHECK(count("SELECT count(*) FROM outbox WHERE kind = 'enrollment'") == 1);
    CHECK(store->database().query_text("SELECT email FROM customers") == "jane.doe@example.com");
}

TEST_CASE_METHOD(LaneFixture, "returns: part of a line, then the rest, refunds add up to what was paid") {
    basket(R"({"beginBasket":{"cashierId":"C-1"}})");
    basket(k_milk);     // line 1: 3 x 1.19 = 3.57
    basket(k_bananas);  // line 2: 2.50
    REQUIRE(send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"607"}}]}})")
                .has_sale_completed());

    auto response = send(
        R"({"returnSale":{"originalSaleId":"S0042-T03-{tag}-000001","lines":[{"originalLineNo":1,"quantity":{"units":"1"}}]}})");
    INFO(response.DebugString());
    REQUIRE(response.has_return_completed());
    CHECK(response.return_completed().return_id() == tagged("S0042-T03-{tag}-R000001"));
    CHECK(response.return_completed().refund_total().minor_units() == 119);

    auto e = error(
        R"({"returnSale":{"originalSaleId":"S0042-T03-{tag}-000001","lines":[{"originalLineNo":1,"quantity":{"units":"3"}}]}})");
    CHECK(e.code() == v1::POS_ERROR_CODE_INVALID_QUANTITY);
    CHECK_THAT(e.message(), Catch::Contains("only 2 of line 1"));
    CHECK(
        error(
            R"({"returnSale":{"originalSaleId":"S0042-T03-{tag}-000001","lines":[{"originalLineNo":5,"quantity":{"units":"1"}}]}})")
            .code() == v1::POS_ERROR_CODE_LINE_NOT_FOUND);
    CHECK(error(R"({"returnSale":{"originalSaleId":"S0042-T03-{tag}-000999"}})").code() ==
          v1::POS_ERROR_CODE_SALE_NOT_FOUND);

    // Everything that is left: 2 milk (2.38) and the bananas (2.50).
    response = send(R"({"returnSale":{"originalSaleId":"S0042-T03-{tag}-000001"}})");
    REQUIRE(response.has_return_completed());
    CHECK(response.return_completed().refund_total().minor_units() == 238 + 250);
    CHECK(count("SELECT sum(refund_total) FROM returns") == 607);
    CHECK(error(R"({"returnSale":{"originalSaleId":"S0042-T03-{tag}-000001"}})").code() ==
          v1::POS_ERROR_CODE_NOTHING_TO_RETURN);
    CHECK(count("SELECT count(*) FROM outbox WHERE kind = 'return'") == 2);
}

TEST_CASE_METHOD(LaneFixture, "status tells what the terminal is doing") {
    basket(R"({"beginBasket":{"cashierId":"C-1"}})");
    basket(k_milk);
    lane->set_reader_state(v1::READER_STATE_DISCONNECTED, "/dev/ttyUSB0: no such device");
    const auto status = send(R"({"getStatus":{}})").status();
    CHECK(status.terminal().terminal_id() == "S0042-T03");
    CHECK(status.basket_open());
    CHECK(status.basket_lines() == 1);
    CHECK(status.reader() == v1::READER_STATE_DISCONNECTED);
    CHECK(status.link() == v1::LINK_STATE_OFFLINE);
    CHECK(status.outbox_depth() == 0);
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().reader_state().reader() == v1::READER_STATE_DISCONNECTED);
}

TEST_CASE_METHOD(LaneFixture, "a full disk refuses the sale with a clear error and keeps the basket") {
    reopen(192 * 1024);
    int completed = 0;
    v1::PosError last;
    for (int i = 0; i < 2000; ++i) {
        const auto begin = send(R"({"beginBasket":{"cashierId":"C-1"}})");
        if (begin.has_error()) {
            last = begin.error();
            break;
        }
        bool full = false;
        for (int k = 0; k < 20 && !full; ++k) {
            const auto added = send(k_milk);
            if (added.has_error()) {
                last = added.error();
                full = true;
            }
        }
        if (full) break;
        const auto done =
            send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"10000"}}]}})");
        if (done.has_error()) {
            last = done.error();
            break;
        }
        ++completed;
    }
    CHECK(completed > 0);
    CHECK(last.code() == v1::POS_ERROR_CODE_STORAGE_FULL);
    CHECK_THAT(last.message(), Catch::Contains("storage is full"));
    CHECK(count("SELECT count(*) FROM sales") == completed);
    CHECK(store->database().query_text("PRAGMA quick_check") == "ok");
}

namespace {

// A basket-level discount of `amount` on any non-empty basket, touching no line.
class BasketDiscount final : public domain::OfferEngine {
public:
    explicit BasketDiscount(std::int64_t amount) : amount_(amount) {}
    domain::PricedBasket price(const domain::BasketSnapshot& basket) const override {
        domain::PricedBasket priced;
        if (basket.lines.size() > 4) throw std::runtime_error("engine failure");
        if (basket.lines.empty()) return priced;
        auto& d = priced.discounts.emplace_back();
        d.set_offer_id("BASKET-1");
        d.set_receipt_text("1.00 off your basket");
        d.mutable_amount()->set_minor_units(amount_);
        d.mutable_amount()->set_currency(basket.currency);
        return priced;
    }
    std::vector<v1::OfferSummary> offers_for(const domain::CustomerRecord&) const override { return {}; }
    bool redeems_points() const override { return false; }
    bool knows_coupon(const std::string&) const override { return false; }

private:
    std::int64_t amount_;
};

}  // namespace

TEST_CASE("a full return refunds exactly what was paid, basket-level discount shared without overshoot") {
    TempDir dir;
    const TerminalConfig config = test_config();
    LocalStore store(
        LocalStoreOptions{.data_dir = dir / "data", .terminal_id = config.terminal_id, .store_id = config.store_id});
    BasketDiscount offers(100);
    Lane lane(config, store, offers);
    auto send = [&](const std::string& json) {
        v1::PosRequest request;
        REQUIRE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
        return lane.handle(request);
    };
    send(R"({"beginBasket":{"cashierId":"C-1"}})");
    for (const char* price : {"100", "100", "100", "0"}) {
        const auto r = send(
            std::string(
                R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"1"},"unitPrice":{"minorUnits":")") +
            price + R"("}}})");
        REQUIRE(r.has_basket());
    }
    const auto done =
        send(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"200"}}]}})");
    REQUIRE(done.has_sale_completed());
    CHECK(done.sale_completed().basket().totals().payable().minor_units() == 200);
    const auto back =
        send(R"({"returnSale":{"originalSaleId":")" + done.sale_completed().basket().sale_id() + R"("}})");
    REQUIRE(back.has_return_completed());
    CHECK(back.return_completed().refund_total().minor_units() == 200);
    for (const auto& line : back.return_completed().lines())
        CHECK(line.line_total().minor_units() >= 0);
}

TEST_CASE("when pricing fails after a change, the change is undone in memory and on disk") {
    TempDir dir;
    const TerminalConfig config = test_config();
    LocalStore store(
        LocalStoreOptions{.data_dir = dir / "data", .terminal_id = config.terminal_id, .store_id = config.store_id});
    BasketDiscount offers(10);  // throws for a fifth line
    Lane lane(config, store, offers);
    auto send = [&](const std::string& json) {
        v1::PosRequest request;
        REQUIRE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
        return lane.handle(request);
    };
    send(R"({"beginBasket":{"cashierId":"C-1"}})");
    const std::string item =
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"1"},"unitPrice":{"minorUnits":"50"}}})";
    for (int i = 0; i < 4; ++i)
        REQUIRE(send(item).has_basket());
    const auto failed = send(item);
    REQUIRE(failed.has_error());
    CHECK(failed.error().code() == v1::POS_ERROR_CODE_INTERNAL);
    CHECK(store.open_basket()->lines.size() == 4);
    const auto totals = send(R"({"getTotals":{}})");
    REQUIRE(totals.has_basket());
    CHECK(totals.basket().lines_size() == 4);
    CHECK(send(R"({"removeLine":{"lineNo":4}})").basket().lines_size() == 3);  // and it goes on working
}
