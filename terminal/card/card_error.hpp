// Why a card read is not a loyalty card, as std::error_code values in card_category().
//
// The messages are fixed texts for cashiers and logs: they never contain any digit of what was
// read, so an error can be logged or sent to the POS without leaking a payment card number.
#pragma once

#include <system_error>

#include "loyalty/v1/pos_api.pb.h"

namespace loyalty::terminal::card {

enum class error {
    // The read itself is bad: the POS shows "swipe again".
    empty_read = 1,
    truncated,            // a sentinel or separator is missing, or the read stopped early
    bad_lrc,              // the longitudinal redundancy check does not match
    bad_character,        // a character that cannot appear in this format
    too_long,             // longer than the format allows
    unrecognised_format,  // not a track, not a barcode the profile enables
    // The read is good but it is not one of the chain's cards.
    bad_check_digit,   // in a chain range, but the Luhn / GS1 check digit is wrong
    payment_card,      // looks like a bank card: refused, number discarded
    not_a_chain_card,  // some other card or barcode
    card_blocked,      // a chain card reported lost or stolen
};

const std::error_category& card_category() noexcept;

inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), card_category()};
}

// True for errors that mean "the read was garbled: swipe again".
bool is_unreadable(std::error_code ec) noexcept;

// The refusal reason the POS receives for `ec` (a card_category() code).
v1::CardRefusalReason refusal_reason(std::error_code ec) noexcept;

}  // namespace loyalty::terminal::card

template <>
struct std::is_error_code_enum<loyalty::terminal::card::error> : std::true_type {};
