#include "terminal/card/card_error.hpp"

#include <string>

namespace loyalty::terminal::card {
namespace {

class CardCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "card"; }
    std::string message(int code) const override {
        switch (static_cast<error>(code)) {
            case error::empty_read: return "nothing was read: swipe again";
            case error::truncated: return "partial read: swipe again";
            case error::bad_lrc: return "read check (LRC) failed: swipe again";
            case error::bad_character: return "unexpected character in the read: swipe again";
            case error::too_long: return "read is longer than the format allows: swipe again";
            case error::unrecognised_format: return "not a card format this reader is set up for: swipe again";
            case error::bad_check_digit: return "card number check digit is wrong: key it in or swipe again";
            case error::payment_card: return "this is a payment card: use the payment terminal, not the loyalty reader";
            case error::not_a_chain_card: return "not one of our loyalty cards";
            case error::card_blocked: return "this loyalty card is blocked (reported lost or stolen)";
        }
        return "unknown card error";
    }
};

}  // namespace

const std::error_category& card_category() noexcept {
    static const CardCategory category;
    return category;
}

bool is_unreadable(std::error_code ec) noexcept {
    if (ec.category() != card_category()) return false;
    switch (static_cast<error>(ec.value())) {
        case error::empty_read:
        case error::truncated:
        case error::bad_lrc:
        case error::bad_character:
        case error::too_long:
        case error::unrecognised_format: return true;
        default: return false;
    }
}

v1::CardRefusalReason refusal_reason(std::error_code ec) noexcept {
    if (is_unreadable(ec)) return v1::CARD_REFUSAL_REASON_UNREADABLE;
    if (ec == error::bad_check_digit) return v1::CARD_REFUSAL_REASON_BAD_CHECK_DIGIT;
    if (ec == error::payment_card) return v1::CARD_REFUSAL_REASON_PAYMENT_CARD;
    if (ec == error::card_blocked) return v1::CARD_REFUSAL_REASON_BLOCKED;
    return v1::CARD_REFUSAL_REASON_NOT_A_CHAIN_CARD;
}

}  // namespace loyalty::terminal::card
