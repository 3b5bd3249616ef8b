// Plain-text views for the cashier's printer and for loyaltyctl: receipts, return slips, the
// basket, the shopper and the terminal's status, 42 columns wide like a thermal receipt.
// Loyalty card numbers are printed masked (last four digits).
#pragma once

#include <string>

#include "loyalty/v1/pos_api.pb.h"

namespace loyalty::terminal {

struct ReceiptStyle {
    int minor_unit_exponent = 2;
    std::string header;     // e.g. "Store S0042  terminal S0042-T03"
    std::string time_zone;  // IANA zone for printed times; UTC when empty
};

std::string format_receipt(const v1::SaleReceipt& receipt, const ReceiptStyle& style);
std::string format_return(const v1::ReturnReceipt& receipt, const ReceiptStyle& style);
std::string format_basket(const v1::BasketView& basket, const ReceiptStyle& style);
std::string format_customer(const v1::CustomerSummary& customer);
std::string format_status(const v1::TerminalStatus& status);
std::string mask_card(const std::string& number);

}  // namespace loyalty::terminal
