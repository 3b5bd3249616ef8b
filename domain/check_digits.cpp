#include "domain/check_digits.hpp"

namespace loyalty::domain::card {

bool all_digits(std::string_view text) noexcept {
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return !text.empty();
}

int luhn_check_digit(std::string_view payload) noexcept {
    if (!all_digits(payload)) return -1;
    int sum = 0;
    bool double_it = true;  // the digit left of the check digit is doubled
    for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
        int d = *it - '0';
        if (double_it) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        double_it = !double_it;
    }
    return (10 - sum % 10) % 10;
}

bool luhn_valid(std::string_view number) noexcept {
    if (number.size() < 2 || !all_digits(number)) return false;
    return luhn_check_digit(number.substr(0, number.size() - 1)) == number.back() - '0';
}

int gs1_check_digit(std::string_view payload) noexcept {
    if (!all_digits(payload)) return -1;
    int sum = 0;
    bool triple = true;  // weights 3,1,3,1... from the right of the payload
    for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
        sum += (*it - '0') * (triple ? 3 : 1);
        triple = !triple;
    }
    return (10 - sum % 10) % 10;
}

bool gs1_mod10_valid(std::string_view number) noexcept {
    if (number.size() < 2 || !all_digits(number)) return false;
    return gs1_check_digit(number.substr(0, number.size() - 1)) == number.back() - '0';
}

}  // namespace loyalty::domain::card
