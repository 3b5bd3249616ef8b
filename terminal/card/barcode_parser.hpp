// Card barcodes as a scanner delivers them: EAN-13, Code 128 text, and GS1-128 element strings
// carrying a GSRN in AI (8018). An AIM symbology identifier (]E0, ]C0, ]C1) in front is accepted.
//
// GS1-128 separates variable-length elements with FNC1, which a scanner sends as ASCII GS (0x1D)
// or, on keyboard-wedge scanners that cannot type GS, as a configured substitute.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace loyalty::terminal::card {

// 13 digits (the check digit is judged later, against the chain's ranges).
std::string parse_ean13(std::string_view text, std::error_code& ec);

// Printable ASCII, up to 48 characters; the card number is the whole text.
std::string parse_code128(std::string_view text, std::error_code& ec);

// The 18-digit GSRN of AI (8018) in a GS1-128 element string (with or without the leading
// FNC1 / ]C1). Other elements before or after it are skipped. error::not_a_chain_card when the
// string is well formed but has no GSRN.
std::string parse_gs1_gsrn(std::string_view text, std::string_view group_separator, std::error_code& ec);

// Strips an AIM symbology identifier ("]" + letter + digit) from the front.
std::string_view strip_symbology_id(std::string_view text);

}  // namespace loyalty::terminal::card
