#include "domain/money.hpp"

#include <algorithm>

namespace loyalty::domain {

std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t result = 0;
    if (__builtin_add_overflow(a, b, &result)) return std::nullopt;
    return result;
}

std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t result = 0;
    if (__builtin_mul_overflow(a, b, &result)) return std::nullopt;
    return result;
}

std::optional<std::int64_t> mul_div_round(std::int64_t a, std::int64_t b, std::int64_t c) noexcept {
    if (a < 0 || b < 0 || c <= 0) return std::nullopt;
    const auto product = checked_mul(a, b);
    if (!product) return std::nullopt;
    const auto half_up = checked_add(*product, c / 2);
    if (!half_up) return std::nullopt;
    return *half_up / c;
}

std::optional<std::int64_t> line_total(const v1::Quantity& quantity, std::int64_t unit_price) noexcept {
    if (unit_price < 0) return std::nullopt;
    if (quantity.has_units()) return checked_mul(quantity.units(), unit_price);
    if (quantity.has_weight_grams()) return mul_div_round(unit_price, quantity.weight_grams(), 1000);
    return std::nullopt;
}

v1::Money make_money(std::int64_t minor_units, const std::string& currency) {
    v1::Money money;
    money.set_minor_units(minor_units);
    money.set_currency(currency);
    return money;
}

std::string format_amount(std::int64_t minor_units, int exponent) {
    const bool negative = minor_units < 0;
    // Work in unsigned to format INT64_MIN without overflow.
    std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(minor_units) : static_cast<std::uint64_t>(minor_units);
    const std::string digits = std::to_string(magnitude);
    const auto places = static_cast<std::size_t>(std::max(exponent, 0));
    std::string out;
    out.reserve(digits.size() + places + 3);
    if (negative) out.push_back('-');
    if (places == 0) return out.append(digits);
    // Zeros in front when the amount is less than one unit: 5 -> "0.05".
    if (digits.size() <= places) out.append(places + 1 - digits.size(), '0');
    out.append(digits);
    out.insert(out.size() - places, 1, '.');
    return out;
}

}  // namespace loyalty::domain
