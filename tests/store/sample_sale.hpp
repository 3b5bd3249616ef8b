// Builds realistic purchase events for store tests: `lines` lines of 2 units at 1.99 (plus one
// weighed line), `discounts` discounts of 0.50 each touching line 1, paid in cash.
#pragma once

#include <string>

#include "loyalty/v1/events.pb.h"

namespace loyalty::test {

inline v1::Money eur(std::int64_t minor_units) {
    v1::Money money;
    money.set_minor_units(minor_units);
    money.set_currency("EUR");
    return money;
}

inline v1::Event make_purchase(const std::string& sale_id, int lines = 5, int discounts = 2) {
    v1::Event event;
    auto* header = event.mutable_header();
    header->set_terminal_id("S0042-T03");
    header->set_store_id("S0042");
    header->set_cashier_id("C-108");
    header->mutable_terminal_time()->set_seconds(1'795'000'000);
    auto* sale = event.mutable_purchase();
    sale->set_sale_id(sale_id);
    sale->set_loyalty_card("6036000000000011");
    std::int64_t subtotal = 0;
    for (int i = 1; i <= lines; ++i) {
        auto* line = sale->add_lines();
        line->set_line_no(static_cast<std::uint32_t>(i));
        line->set_gtin("40063813339" + std::to_string(10 + i));
        line->set_description("item " + std::to_string(i));
        line->set_department(i % 2 ? "grocery" : "produce");
        if (i == lines) {
            line->mutable_quantity()->set_weight_grams(1250);
            *line->mutable_unit_price() = eur(299);
            *line->mutable_line_total() = eur(374);
            subtotal += 374;
        } else {
            line->mutable_quantity()->set_units(2);
            *line->mutable_unit_price() = eur(199);
            *line->mutable_line_total() = eur(398);
            subtotal += 398;
        }
    }
    for (int d = 1; d <= discounts; ++d) {
        auto* discount = sale->add_discounts();
        discount->set_offer_id("OFFER-" + std::to_string(d));
        discount->set_receipt_text("Coupon " + std::to_string(d));
        *discount->mutable_amount() = eur(50);
        auto* target = discount->add_targets();
        target->set_line_no(1);
        target->set_units(1);
        *target->mutable_amount() = eur(50);
    }
    *sale->mutable_subtotal() = eur(subtotal);
    *sale->mutable_discount_total() = eur(50 * discounts);
    *sale->mutable_total() = eur(subtotal - 50 * discounts);
    auto* tender = sale->add_tenders();
    tender->set_kind(v1::TENDER_KIND_CASH);
    *tender->mutable_amount() = eur(subtotal - 50 * discounts);
    sale->mutable_points()->set_earned((subtotal - 50 * discounts) / 100);
    return event;
}

}  // namespace loyalty::test
