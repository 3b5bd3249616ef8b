// The number ranges of the payment card schemes (issuer identification numbers), so that a bank
// card read by mistake is recognised and refused, and a terminal configuration cannot declare a
// bank card range to be the chain's own.
#pragma once

#include <string_view>

namespace loyalty::terminal::card {

// True when `number` (Luhn-valid, 12–19 digits) starts like a payment scheme's card number
// (Visa, Mastercard, American Express, Discover, JCB, Diners Club, UnionPay, Maestro, Mir).
bool looks_like_payment_card(std::string_view number) noexcept;

// The payment scheme whose card numbers can start with `prefix` (digits), or empty. Maestro's
// broad 50 / 56–69 ranges are left out: private-label retail cards live there by design.
std::string_view payment_scheme_overlapping(std::string_view prefix) noexcept;

}  // namespace loyalty::terminal::card
