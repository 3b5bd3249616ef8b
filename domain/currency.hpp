// Currencies as ISO 4217 defines them: the codes in use and how many decimal places (the minor
// unit exponent) each has. Both programs count money in integer minor units of one currency;
// the exponent says how to read and print them (EUR 2: 1234 is 12.34; JPY 0; KWD 3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loyalty::domain {

struct Currency {
    std::string code = "EUR";  // ISO 4217 alphabetic code
    int exponent = 2;          // its minor unit: 10^exponent minor units make one unit
};

// The minor-unit exponent of an ISO 4217 currency in use (funds codes such as CHE and the
// regional units XAF, XCD, XOF, XPF included; precious metals, test and "no currency" codes not);
// nullopt for anything else.
std::optional<int> iso4217_exponent(std::string_view code);

// 10^exponent (exponent 0..4).
std::int64_t minor_units_per_unit(int exponent);

// "12.34 EUR" for 1234 in EUR; an unknown code prints the minor units: "1234 minor units of XYZ".
std::string format_money(std::int64_t minor_units, std::string_view currency);

}  // namespace loyalty::domain
