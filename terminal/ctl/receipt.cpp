#include "terminal/ctl/receipt.hpp"

#include <cstdio>
#include <date/tz.h>
#include <google/protobuf/util/time_util.h>

#include "domain/money.hpp"

namespace loyalty::terminal {
namespace {

constexpr std::size_t k_width = 42;

std::string row(const std::string& left, const std::string& right) {
    std::string text = left.substr(0, k_width - right.size() - 1);
    text.append(k_width - text.size() - right.size(), ' ');
    return text + right + "\n";
}

std::string rule(char c = '-') {
    return std::string(k_width, c) + "\n";
}

std::string quantity_text(const v1::SaleLine& line, int exponent) {
    if (line.quantity().has_weight_grams()) {
        return domain::format_amount(line.quantity().weight_grams(), 3) + " kg x " +
               domain::format_amount(line.unit_price().minor_units(), exponent) + "/kg";
    }
    return std::to_string(line.quantity().units()) + " x " +
           domain::format_amount(line.unit_price().minor_units(), exponent);
}

std::string lines_and_totals(const v1::BasketView& basket, const ReceiptStyle& style) {
    const int e = style.minor_unit_exponent;
    std::string out;
    for (const auto& line : basket.lines()) {
        out += row(line.description(), domain::format_amount(line.line_total().minor_units(), e));
        out += "  " + quantity_text(line, e) + "\n";
    }
    out += rule();
    out += row("Subtotal", domain::format_amount(basket.totals().subtotal().minor_units(), e));
    for (const auto& discount : basket.discounts()) {
        out += row("  " + discount.receipt_text(), "-" + domain::format_amount(discount.amount().minor_units(), e));
    }
    out += row("TOTAL " + basket.totals().payable().currency(),
               domain::format_amount(basket.totals().payable().minor_units(), e));
    return out;
}

std::string points_text(const v1::BasketView& basket) {
    std::string out;
    for (const auto& line : basket.points().lines())
        out += row("  " + line.receipt_text(), std::to_string(line.points()));
    if (basket.has_customer()) {
        const auto& c = basket.customer();
        out += "Loyalty card " + mask_card(c.loyalty_card()) + (c.anonymous() ? " (not yet enrolled)" : "") + "\n";
        out += row("Points earned", std::to_string(basket.points().earned()));
        if (basket.points().redeemed() > 0) out += row("Points redeemed", std::to_string(basket.points().redeemed()));
        if (!c.anonymous()) out += row("Points balance", std::to_string(basket.points().balance_after()));
    }
    return out;
}

// "2026-11-22 15:20" in the store's zone.
std::string local_time(const google::protobuf::Timestamp& at, const std::string& zone) {
    const std::chrono::sys_seconds instant{std::chrono::seconds{at.seconds()}};
    try {
        if (!zone.empty()) return date::format("%Y-%m-%d %H:%M", date::make_zoned(zone, instant));
    } catch (const std::exception&) {
        // an unknown zone prints UTC below
    }
    return date::format("%Y-%m-%d %H:%M UTC", instant);
}

const char* tender_name(v1::TenderKind kind) {
    switch (kind) {
        case v1::TENDER_KIND_CASH: return "Cash";
        case v1::TENDER_KIND_CARD: return "Card";
        case v1::TENDER_KIND_MOBILE: return "Mobile";
        case v1::TENDER_KIND_VOUCHER: return "Voucher";
        case v1::TENDER_KIND_GIFT_CARD: return "Gift card";
        default: return "Other";
    }
}

}  // namespace

std::string mask_card(const std::string& number) {
    if (number.size() <= 4) return number;
    return std::string(number.size() - 4, '*') + number.substr(number.size() - 4);
}

std::string format_receipt(const v1::SaleReceipt& receipt, const ReceiptStyle& style) {
    const auto& basket = receipt.basket();
    std::string out = rule('=');
    if (!style.header.empty()) out += style.header + "\n";
    out += row("Sale", basket.sale_id());
    out += row("Date", local_time(receipt.completed_at(), style.time_zone));
    out += rule();
    out += lines_and_totals(basket, style);
    for (const auto& tender : receipt.tenders()) {
        out += row(tender_name(tender.kind()),
                   domain::format_amount(tender.amount().minor_units(), style.minor_unit_exponent));
    }
    if (receipt.change_due().minor_units() > 0) {
        out += row("Change", domain::format_amount(receipt.change_due().minor_units(), style.minor_unit_exponent));
    }
    out += points_text(basket);
    for (const auto& coupon : receipt.issued_coupons())
        out += "Next visit: " + coupon.receipt_text() + " (" + coupon.code() + ")\n";
    out += rule('=');
    return out;
}

std::string format_return(const v1::ReturnReceipt& receipt, const ReceiptStyle& style) {
    const int e = style.minor_unit_exponent;
    std::string out = rule('=');
    if (!style.header.empty()) out += style.header + "\n";
    out += row("Return", receipt.return_id());
    out += row("Of sale", receipt.original_sale_id()) + rule();
    for (const auto& line : receipt.lines()) {
        out += row(line.description(), "-" + domain::format_amount(line.line_total().minor_units(), e));
        out += "  " + quantity_text(line, e) + "\n";
    }
    out += rule();
    out += row("REFUND", domain::format_amount(receipt.refund_total().minor_units(), e));
    for (const auto& tender : receipt.refund_tenders()) {
        out += row(tender_name(tender.kind()), domain::format_amount(tender.amount().minor_units(), e));
    }
    if (receipt.points_reversed() > 0) out += row("Points taken back", std::to_string(receipt.points_reversed()));
    if (receipt.points_given_back() > 0) out += row("Points given back", std::to_string(receipt.points_given_back()));
    out += rule('=');
    return out;
}

std::string format_basket(const v1::BasketView& basket, const ReceiptStyle& style) {
    return "Basket " + basket.sale_id() + "\n" + lines_and_totals(basket, style) + points_text(basket);
}

std::string format_customer(const v1::CustomerSummary& c) {
    std::string out = "Card      " + mask_card(c.loyalty_card()) + "\n";
    if (c.anonymous()) return out + "Customer  not enrolled yet (the card earns; offer enrollment)\n";
    out += "Customer  " + c.customer_id() + "  " + c.display_name() + "\n";
    out += "Tier      " + v1::Tier_Name(c.tier()).substr(5) + "\n";
    out += "Points    " + std::to_string(c.points_available()) + " available\n";
    for (const auto& offer : c.offers())
        out += "Offer     " + offer.receipt_text() + "\n";
    return out;
}

std::string format_status(const v1::TerminalStatus& s) {
    std::string out;
    out += "Terminal  " + s.terminal().terminal_id() + " of store " + s.terminal().store_id() + " (loyaltyd " +
           s.software_version() + ")\n";
    out += "Reader    " + v1::ReaderState_Name(s.reader()).substr(13) + "\n";
    out += "Basket    " +
           (s.basket_open() ? "open, " + std::to_string(s.basket_lines()) + " line(s)" : std::string{"none"}) + "\n";
    out += "Outbox    " + std::to_string(s.outbox_depth()) + " event(s) waiting for head office\n";
    out += "Link      " + v1::LinkState_Name(s.link()).substr(11);
    if (!s.link_detail().empty()) out += " (" + s.link_detail() + ")";
    out += "\nLast ack  ";
    if (s.has_last_ack()) {
        out += "through event " + std::to_string(s.acked_through()) + " at " +
               google::protobuf::util::TimeUtil::ToString(s.last_ack());
    } else {
        out += "through event " + std::to_string(s.acked_through()) + " (none since start)";
    }
    out += "\nCatalog   version " + std::to_string(s.catalog_version()) + "\n";
    return out;
}

}  // namespace loyalty::terminal
