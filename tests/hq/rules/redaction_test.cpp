// Erasure's redaction of stored events, with no database.
#include "hq/rules/redaction.hpp"

#include <catch2/catch.hpp>

using namespace loyalty;
using namespace loyalty::hq::rules;

TEST_CASE("an event naming an erased customer keeps its figures under the pseudonym, without card or contact") {
    v1::Event sale;
    sale.mutable_purchase()->set_customer_id("C1");
    sale.mutable_purchase()->set_loyalty_card("6036000000000013");
    sale.mutable_purchase()->mutable_total()->set_minor_units(1234);
    CHECK(redact(sale, "C1", {}, "erased-1"));
    CHECK(sale.purchase().customer_id() == "erased-1");
    CHECK(sale.purchase().loyalty_card().empty());
    CHECK(sale.purchase().total().minor_units() == 1234);

    // Named by a card only (an anonymous sale before enrolment): the card goes, no id is added.
    v1::Event anonymous;
    anonymous.mutable_sale_return()->set_loyalty_card("6036000000000021");
    CHECK(redact(anonymous, "C1", {"6036000000000013", "6036000000000021"}, "erased-1"));
    CHECK(anonymous.sale_return().customer_id().empty());
    CHECK(anonymous.sale_return().loyalty_card().empty());

    v1::Event enrolment;
    enrolment.mutable_enrollment()->set_customer_id("C1");
    enrolment.mutable_enrollment()->mutable_contact()->set_email("jane@example.com");
    CHECK(redact(enrolment, "C1", {}, "erased-1"));
    CHECK_FALSE(enrolment.enrollment().has_contact());

    v1::Event consent;
    consent.mutable_consent()->set_customer_id("C1");
    CHECK(redact(consent, "C1", {}, "erased-1"));
    CHECK(consent.consent().customer_id() == "erased-1");

    v1::Event someone_else;
    someone_else.mutable_purchase()->set_customer_id("C2");
    someone_else.mutable_purchase()->set_loyalty_card("6036000000000039");
    const std::string before = someone_else.SerializeAsString();
    CHECK_FALSE(redact(someone_else, "C1", {"6036000000000013"}, "erased-1"));
    CHECK(someone_else.SerializeAsString() == before);

    v1::Event void_sale;
    void_sale.mutable_void_sale()->set_sale_id("S1");
    CHECK_FALSE(redact(void_sale, "C1", {}, "erased-1"));
}
