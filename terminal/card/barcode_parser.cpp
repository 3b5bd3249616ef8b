#include "terminal/card/barcode_parser.hpp"

#include "domain/check_digits.hpp"
#include "terminal/card/card_error.hpp"

namespace loyalty::terminal::card {
namespace {

constexpr std::size_t k_max_code128 = 48;
constexpr std::size_t k_gsrn_digits = 18;

// Element strings whose length GS1 predefines by the AI's first two digits (GS1 General
// Specifications, figure 7.8.5-2): total length including the AI. 0 = not predefined.
std::size_t predefined_length(std::string_view ai2) {
    if (ai2.size() < 2 || !domain::card::all_digits(ai2)) return 0;
    const int n = (ai2[0] - '0') * 10 + (ai2[1] - '0');
    if (n == 0) return 20;
    if (n >= 1 && n <= 3) return 16;
    if (n == 4) return 18;
    if (n >= 11 && n <= 19) return 8;
    if (n == 20) return 4;
    if (n >= 31 && n <= 36) return 10;
    if (n == 41) return 16;
    return 0;
}

}  // namespace

std::string_view strip_symbology_id(std::string_view text) {
    if (text.size() >= 3 && text[0] == ']' && text[1] >= 'A' && text[1] <= 'z' && text[2] >= '0' && text[2] <= '9') {
        return text.substr(3);
    }
    return text;
}

std::string parse_ean13(std::string_view text, std::error_code& ec) {
    ec.clear();
    text = strip_symbology_id(text);
    if (text.size() != 13) {
        ec = text.size() > 13 ? error::too_long : error::truncated;
        return {};
    }
    if (!domain::card::all_digits(text)) {
        ec = error::bad_character;
        return {};
    }
    return std::string{text};
}

std::string parse_code128(std::string_view text, std::error_code& ec) {
    ec.clear();
    text = strip_symbology_id(text);
    if (text.empty()) {
        ec = error::empty_read;
        return {};
    }
    if (text.size() > k_max_code128) {
        ec = error::too_long;
        return {};
    }
    for (char c : text) {
        if (c < 0x20 || c > 0x7e) {
            ec = error::bad_character;
            return {};
        }
    }
    return std::string{text};
}

std::string parse_gs1_gsrn(std::string_view text, std::string_view group_separator, std::error_code& ec) {
    ec.clear();
    if (group_separator.empty()) group_separator = "\x1d";
    text = strip_symbology_id(text);
    // A leading FNC1 is allowed (some scanners send it instead of ]C1).
    if (text.starts_with(group_separator)) text.remove_prefix(group_separator.size());
    if (text.empty()) {
        ec = error::empty_read;
        return {};
    }
    while (!text.empty()) {
        if (const std::size_t length = predefined_length(text.substr(0, 2)); length != 0) {
            if (text.size() < length || !domain::card::all_digits(text.substr(0, 2))) {
                ec = error::truncated;
                return {};
            }
            text.remove_prefix(length);
            if (text.starts_with(group_separator)) text.remove_prefix(group_separator.size());
            continue;
        }
        // A variable-length or FNC1-terminated element: up to the next separator.
        const std::size_t separator = text.find(group_separator);
        const std::string_view element = text.substr(0, separator);
        text =
            separator == std::string_view::npos ? std::string_view{} : text.substr(separator + group_separator.size());
        if (element.size() < 2 || !domain::card::all_digits(element.substr(0, 2))) {
            ec = error::bad_character;
            return {};
        }
        if (element.starts_with("8018")) {
            const std::string_view gsrn = element.substr(4);
            if (gsrn.size() != k_gsrn_digits) {
                ec = gsrn.size() > k_gsrn_digits ? error::too_long : error::truncated;
                return {};
            }
            if (!domain::card::all_digits(gsrn)) {
                ec = error::bad_character;
                return {};
            }
            return std::string{gsrn};
        }
    }
    ec = error::not_a_chain_card;
    return {};
}

}  // namespace loyalty::terminal::card
