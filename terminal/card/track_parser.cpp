#include "terminal/card/track_parser.hpp"

#include "domain/check_digits.hpp"
#include "terminal/card/card_error.hpp"

namespace loyalty::terminal::card {
namespace {

constexpr std::size_t k_max_pan = 19;
constexpr std::size_t k_max_track1 = 79;
constexpr std::size_t k_max_track2 = 40;

bool is_track1_char(char c) {
    return c >= 0x20 && c <= 0x5f;
}
bool is_track2_char(char c) {
    return c >= 0x30 && c <= 0x3f;
}

// Finds the end sentinel and checks the LRC after it; returns the sentinel's index or npos.
std::size_t find_end(std::string_view text, std::size_t max_length, bool passes_lrc, char (*lrc)(std::string_view),
                     std::size_t& consumed, std::error_code& ec) {
    const std::size_t end = text.find('?');
    if (end == std::string_view::npos) {
        ec = text.size() > max_length ? error::too_long : error::truncated;
        return end;
    }
    if (end + 1 > max_length) {
        ec = error::too_long;
        return std::string_view::npos;
    }
    consumed = end + 1;
    if (passes_lrc) {
        if (end + 1 >= text.size()) {
            ec = error::truncated;
            return std::string_view::npos;
        }
        if (text[end + 1] != lrc(text.substr(0, end + 1))) {
            ec = error::bad_lrc;
            return std::string_view::npos;
        }
        consumed = end + 2;
    }
    return end;
}

}  // namespace

char track1_lrc(std::string_view track) {
    unsigned lrc = 0;
    for (char c : track)
        lrc ^= static_cast<unsigned>(static_cast<unsigned char>(c) - 0x20) & 0x3f;
    return static_cast<char>(lrc + 0x20);
}

char track2_lrc(std::string_view track) {
    unsigned lrc = 0;
    for (char c : track)
        lrc ^= static_cast<unsigned>(static_cast<unsigned char>(c) - 0x30) & 0x0f;
    return static_cast<char>(lrc + 0x30);
}

Track parse_track1(std::string_view text, bool passes_lrc, std::error_code& ec) {
    ec.clear();
    Track track;
    if (text.empty() || text[0] != '%') {
        ec = error::unrecognised_format;
        return {};
    }
    const std::size_t end = find_end(text, k_max_track1, passes_lrc, track1_lrc, track.consumed, ec);
    if (ec) return {};
    const std::string_view body = text.substr(1, end - 1);  // between the sentinels
    for (char c : body) {
        if (!is_track1_char(c) || c == '%' || c == '?') {
            ec = error::bad_character;
            return {};
        }
    }
    if (body.size() < 2 || body[0] < 'A' || body[0] > 'Z') {
        ec = body.empty() ? error::truncated : error::bad_character;
        return {};
    }
    track.format_code = body[0];
    const std::size_t pan_end = body.find('^', 1);
    if (pan_end == std::string_view::npos) {
        ec = error::truncated;
        return {};
    }
    const std::size_t name_end = body.find('^', pan_end + 1);
    if (name_end == std::string_view::npos) {
        ec = error::truncated;
        return {};
    }
    // The PAN may be written with spaces between digit groups.
    for (char c : body.substr(1, pan_end - 1)) {
        if (c == ' ') continue;
        if (c < '0' || c > '9') {
            ec = error::bad_character;
            return {};
        }
        track.number += c;
    }
    const std::size_t name_length = name_end - pan_end - 1;
    if (track.number.empty() || name_length > 26) {
        ec = error::truncated;
        return {};
    }
    if (track.number.size() > k_max_pan) {
        ec = error::too_long;
        return {};
    }
    const std::string_view after_name = body.substr(name_end + 1);
    if (after_name.size() >= 4 && domain::card::all_digits(after_name.substr(0, 4)))
        track.expiry = after_name.substr(0, 4);
    return track;
}

Track parse_track2(std::string_view text, bool passes_lrc, std::error_code& ec) {
    ec.clear();
    Track track;
    if (text.empty() || text[0] != ';') {
        ec = error::unrecognised_format;
        return {};
    }
    const std::size_t end = find_end(text, k_max_track2, passes_lrc, track2_lrc, track.consumed, ec);
    if (ec) return {};
    const std::string_view body = text.substr(1, end - 1);
    for (char c : body) {
        if (!is_track2_char(c) || c == ';' || c == '?') {
            ec = error::bad_character;
            return {};
        }
    }
    const std::size_t separator = body.find('=');
    const std::string_view pan = body.substr(0, separator);
    if (!domain::card::all_digits(pan)) {
        ec = pan.empty() ? error::truncated : error::bad_character;
        return {};
    }
    if (pan.size() > k_max_pan) {
        ec = error::too_long;
        return {};
    }
    track.number = pan;
    if (separator != std::string_view::npos) {
        const std::string_view rest = body.substr(separator + 1);
        if (!rest.empty() && !domain::card::all_digits(rest)) {
            ec = error::bad_character;
            return {};
        }
        if (rest.size() >= 4) track.expiry = rest.substr(0, 4);
    }
    return track;
}

}  // namespace loyalty::terminal::card
