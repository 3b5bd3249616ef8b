#include "terminal/card/card_decoder.hpp"

#include <string.h>

#include <algorithm>

#include "domain/check_digits.hpp"
#include "terminal/card/barcode_parser.hpp"
#include "terminal/card/payment_schemes.hpp"
#include "terminal/card/track_parser.hpp"

namespace loyalty::terminal::card {
namespace {

std::string_view trim_line_end(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}

}  // namespace

void wipe(std::string& text) noexcept {
    if (!text.empty()) ::explicit_bzero(text.data(), text.size());
    text.clear();
}

CardDecoder::CardDecoder(std::vector<CardRange> ranges, std::vector<CardFormat> formats, std::string group_separator,
                         bool passes_lrc)
    : ranges_(std::move(ranges)),
      formats_(std::move(formats)),
      group_separator_(std::move(group_separator)),
      passes_lrc_(passes_lrc) {}

CardDecoder CardDecoder::for_terminal(const TerminalConfig& config) {
    if (const auto& profile = config.reader.profile) {
        return CardDecoder(config.card_ranges, profile->formats, profile->group_separator, profile->passes_lrc);
    }
    return CardDecoder(
        config.card_ranges,
        {CardFormat::track1, CardFormat::track2, CardFormat::ean13, CardFormat::code128, CardFormat::gs1_128}, "\x1d",
        false);
}

bool CardDecoder::enabled(CardFormat format) const {
    return std::find(formats_.begin(), formats_.end(), format) != formats_.end();
}

std::error_code CardDecoder::decode(std::string_view raw, CardRead& out) const {
    out = CardRead{};
    raw = trim_line_end(raw);
    if (raw.empty()) return error::empty_read;
    std::error_code ec;

    if (raw[0] == '%' || raw[0] == ';') {
        Track track1;
        Track track2;
        std::error_code ec1;
        std::error_code ec2 = error::unrecognised_format;
        std::string_view rest = raw;
        if (rest[0] == '%') {
            if (!enabled(CardFormat::track1)) return error::unrecognised_format;
            track1 = parse_track1(rest, passes_lrc_, ec1);
            if (ec1) {
                // A bad track 1 may still be followed by a good track 2.
                const std::size_t next = rest.find(';');
                rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next);
            } else {
                rest.remove_prefix(track1.consumed);
            }
        }
        if (!rest.empty() && rest[0] == ';' && enabled(CardFormat::track2)) {
            track2 = parse_track2(rest, passes_lrc_, ec2);
            if (!ec2 && track2.consumed != rest.size()) ec2 = error::bad_character;  // bytes after the track
        } else if (!rest.empty() && !ec1) {
            ec1 = error::bad_character;  // something other than track 2 after track 1
        }
        std::error_code result;
        const bool has_track1 = raw[0] == '%';
        if (has_track1 && !ec1 && !ec2 && track1.number != track2.number) {
            result = error::truncated;  // the two tracks disagree: a misread
        } else if (!ec2) {
            result = classify(track2.number, CardFormat::track2, track1.format_code == 'B', out);
        } else if (has_track1 && !ec1) {
            result = classify(track1.number, CardFormat::track1, track1.format_code == 'B', out);
        } else {
            result = has_track1 ? ec1 : ec2;
        }
        wipe(track1.number);
        wipe(track2.number);
        return result;
    }

    std::string number;
    CardFormat format = CardFormat::code128;
    const std::string_view unprefixed = strip_symbology_id(raw);
    const bool gs1 = raw.starts_with("]C1") || raw.starts_with(group_separator_) ||
                     (unprefixed.starts_with("8018") && unprefixed.size() >= 22 &&
                      domain::card::all_digits(unprefixed.substr(0, 22)));
    if (gs1 && enabled(CardFormat::gs1_128)) {
        number = parse_gs1_gsrn(raw, group_separator_, ec);
        format = CardFormat::gs1_128;
    } else if (unprefixed.size() == 13 && domain::card::all_digits(unprefixed) && enabled(CardFormat::ean13)) {
        number = parse_ean13(raw, ec);
        format = CardFormat::ean13;
    } else if (enabled(CardFormat::code128)) {
        number = parse_code128(raw, ec);
        if (!ec && !domain::card::all_digits(number)) ec = error::not_a_chain_card;
    } else {
        ec = error::unrecognised_format;
    }
    if (!ec) ec = classify(number, format, false, out);
    wipe(number);
    return ec;
}

std::error_code CardDecoder::decode_keyed(std::string_view keyed, CardRead& out) const {
    out = CardRead{};
    std::string number;
    for (char c : keyed) {
        if (c == ' ' || c == '-') continue;
        if (c < '0' || c > '9') {
            wipe(number);
            return error::bad_character;
        }
        number += c;
    }
    if (number.empty()) return error::empty_read;
    if (number.size() > 19) {
        wipe(number);
        return error::too_long;
    }
    const std::error_code ec = classify(number, CardFormat::keyed, false, out);
    wipe(number);
    return ec;
}

std::error_code CardDecoder::classify(std::string& number, CardFormat format, bool financial_track,
                                      CardRead& out) const {
    bool in_range_bad_check = false;
    for (const CardRange& range : ranges_) {
        if (number.size() != range.length || !number.starts_with(range.prefix)) continue;
        const bool check_ok = range.check_digit == CheckDigit::luhn        ? domain::card::luhn_valid(number)
                              : range.check_digit == CheckDigit::gs1_mod10 ? domain::card::gs1_mod10_valid(number)
                                                                           : domain::card::all_digits(number);
        if (!check_ok) {
            in_range_bad_check = true;
            continue;
        }
        out.number = number;
        out.format = format;
        out.range_name = range.name;
        return {};
    }
    if (financial_track || looks_like_payment_card(number)) return error::payment_card;
    if (in_range_bad_check) return error::bad_check_digit;
    return error::not_a_chain_card;
}

}  // namespace loyalty::terminal::card
