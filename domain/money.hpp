// Integer money arithmetic for the till: minor units in int64, every operation checked for
// overflow (a price times a quantity that does not fit is refused, never wrapped).
//
// Rounding rule, used everywhere an amount is divided: half up, on non-negative amounts
// (e.g. 1.99/kg x 1.255 kg = 249.745 -> 2.50). Weighed lines: unit price is per kilogram,
// quantity in grams.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "loyalty/v1/common.pb.h"

namespace loyalty::domain {

std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) noexcept;
std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) noexcept;

// a * b / c rounded half up; a, b >= 0, c > 0. nullopt when a * b does not fit in int64.
std::optional<std::int64_t> mul_div_round(std::int64_t a, std::int64_t b, std::int64_t c) noexcept;

// The total of a line: units x price, or price x grams / 1000 rounded half up.
std::optional<std::int64_t> line_total(const v1::Quantity& quantity, std::int64_t unit_price) noexcept;

v1::Money make_money(std::int64_t minor_units, const std::string& currency);

// "12.34" for 1234 with exponent 2; "-0.05"; "1234" with exponent 0.
std::string format_amount(std::int64_t minor_units, int exponent);

}  // namespace loyalty::domain
