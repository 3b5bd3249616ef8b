// CardDecoder: one raw read from a card reader (or a number keyed by the cashier) in, the chain's
// loyalty card number or the reason it is not one out.
//
// Order of decisions: the format is recognised among those the reader profile enables (tracks by
// their sentinels, GS1-128 by ]C1 / FNC1 / AI 8018, EAN-13 by 13 digits, else Code 128 text);
// the number is extracted; it is a loyalty card only if it falls in one of the chain's ranges
// (prefix and length) and passes that range's check digit. Anything else is refused:
// error::payment_card for what looks like a bank card (Luhn-valid with a payment scheme's prefix,
// or a track 1 format code 'B'), error::not_a_chain_card otherwise.
//
// A refused number never leaves this class: it is not in the error, not in the output, and the
// decoder's own copies are wiped before it returns. Callers wipe their raw read buffers with
// wipe() once decode() has returned.
//
// Stateless after construction; safe to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "terminal/card/card_error.hpp"
#include "terminal/config/terminal_config.hpp"

namespace loyalty::terminal::card {

struct CardRead {
    std::string number;  // a chain card number, digits only
    CardFormat format = CardFormat::track2;
    std::string range_name;  // which of the chain's ranges it is in
};

class CardDecoder {
public:
    CardDecoder(std::vector<CardRange> ranges, std::vector<CardFormat> formats, std::string group_separator,
                bool passes_lrc);

    // The decoder for a terminal: its ranges and its reader profile (every format for a profile-less FIFO).
    static CardDecoder for_terminal(const TerminalConfig& config);

    // One read from the reader, terminator already removed (a trailing CR/LF is tolerated).
    std::error_code decode(std::string_view raw, CardRead& out) const;

    // A number keyed in by the cashier: digits, with spaces or dashes between groups.
    std::error_code decode_keyed(std::string_view keyed, CardRead& out) const;

private:
    std::error_code classify(std::string& number, CardFormat format, bool financial_track, CardRead& out) const;
    bool enabled(CardFormat format) const;

    std::vector<CardRange> ranges_;
    std::vector<CardFormat> formats_;
    std::string group_separator_;
    bool passes_lrc_;
};

// Overwrites the string's bytes (in a way the compiler does not optimise away), then clears it.
void wipe(std::string& text) noexcept;

}  // namespace loyalty::terminal::card
