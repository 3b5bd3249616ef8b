// ISO/IEC 7813 magnetic stripe tracks as a reader delivers them in ASCII.
//
//   Track 1: %  format-code  PAN(≤19)  ^  NAME(2..26)  ^  YYMM  service(3)  discretionary  ?  [LRC]
//   Track 2: ;  PAN(≤19)  =  YYMM  service(3)  discretionary  ?  [LRC]
//
// A reader may deliver track 1, track 2 or both in one read. The LRC (when the reader passes it)
// is the XOR of every character's value from start to end sentinel (track 1: c - 0x20, 6 bits;
// track 2: c - 0x30, 4 bits), sent as a character in the same set.
//
// The cardholder name is checked for shape and then dropped: nothing here keeps it.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace loyalty::terminal::card {

struct Track {
    std::string number;        // the PAN: digits only
    char format_code = 0;      // track 1 only: 'B' marks a financial (bank) card
    std::string expiry;        // YYMM, empty when the card has none
    std::size_t consumed = 0;  // characters of the input this track used (with its LRC)
};

// Parses the track that starts at text[0] ('%' or ';'). On failure `ec` is a card::error and the
// returned track is empty.
Track parse_track1(std::string_view text, bool passes_lrc, std::error_code& ec);
Track parse_track2(std::string_view text, bool passes_lrc, std::error_code& ec);

// The LRC character for a track from start sentinel to end sentinel inclusive.
char track1_lrc(std::string_view track);
char track2_lrc(std::string_view track);

}  // namespace loyalty::terminal::card
