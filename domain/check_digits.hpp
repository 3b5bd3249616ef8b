// Check-digit algorithms for card numbers: Luhn (ISO/IEC 7812, magnetic stripe numbers) and
// GS1 mod-10 (EAN-13, GSRN and every GS1 key). Both take the whole number including its check
// digit and return false for anything that is not all digits.
#pragma once

#include <string_view>

namespace loyalty::domain::card {

bool all_digits(std::string_view text) noexcept;
bool luhn_valid(std::string_view number) noexcept;
bool gs1_mod10_valid(std::string_view number) noexcept;

// The check digit that completes `payload` (digits without their check digit); -1 if not digits.
int luhn_check_digit(std::string_view payload) noexcept;
int gs1_check_digit(std::string_view payload) noexcept;

}  // namespace loyalty::domain::card
