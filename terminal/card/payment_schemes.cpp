#include "terminal/card/payment_schemes.hpp"

#include <array>
#include <string>

#include "domain/check_digits.hpp"

namespace loyalty::terminal::card {
namespace {

struct SchemeRange {
    int low;
    int high;
    std::size_t digits;  // how many leading digits low and high describe
    std::string_view scheme;
    bool broad;  // shared with private-label ranges: used to refuse reads, not to refuse configuration
};

constexpr std::array<SchemeRange, 16> k_ranges{{
    {4, 4, 1, "Visa", false},
    {51, 55, 2, "Mastercard", false},
    {2221, 2720, 4, "Mastercard", false},
    {34, 34, 2, "American Express", false},
    {37, 37, 2, "American Express", false},
    {6011, 6011, 4, "Discover", false},
    {644, 649, 3, "Discover", false},
    {65, 65, 2, "Discover", false},
    {3528, 3589, 4, "JCB", false},
    {300, 305, 3, "Diners Club", false},
    {36, 36, 2, "Diners Club", false},
    {38, 38, 2, "Diners Club", false},
    {62, 62, 2, "UnionPay", false},
    {2200, 2204, 4, "Mir", false},
    {50, 50, 2, "Maestro", true},
    {56, 69, 2, "Maestro", true},
}};

int leading(std::string_view digits, std::size_t count) {
    int value = 0;
    for (std::size_t i = 0; i < count && i < digits.size(); ++i)
        value = value * 10 + (digits[i] - '0');
    return value;
}

int pow10(std::size_t n) {
    int value = 1;
    while (n-- > 0)
        value *= 10;
    return value;
}

// Can a number start with both `prefix` and a number in [range.low, range.high]?
bool overlaps(std::string_view prefix, const SchemeRange& range) {
    if (prefix.size() >= range.digits) {
        const int head = leading(prefix, range.digits);
        return head >= range.low && head <= range.high;
    }
    // A short prefix ("5") covers a range of longer heads: 50..59 against 51..55.
    const int scale = pow10(range.digits - prefix.size());
    const int low = leading(prefix, prefix.size()) * scale;
    const int high = low + scale - 1;
    return low <= range.high && high >= range.low;
}

}  // namespace

bool looks_like_payment_card(std::string_view number) noexcept {
    if (number.size() < 12 || number.size() > 19 || !domain::card::luhn_valid(number)) return false;
    for (const SchemeRange& range : k_ranges) {
        const int head = leading(number, range.digits);
        if (head >= range.low && head <= range.high) return true;
    }
    return false;
}

std::string_view payment_scheme_overlapping(std::string_view prefix) noexcept {
    if (!domain::card::all_digits(prefix)) return {};
    for (const SchemeRange& range : k_ranges) {
        if (!range.broad && overlaps(prefix, range)) return range.scheme;
    }
    return {};
}

}  // namespace loyalty::terminal::card
