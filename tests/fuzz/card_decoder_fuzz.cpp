// libFuzzer target: any bytes a card reader could deliver, through every decoder configuration.
// The decoder must never crash, never accept a number outside the chain's ranges, and never hand
// back a number with an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/check_digits.hpp"
#include "terminal/card/card_decoder.hpp"

using namespace loyalty;
using namespace loyalty::terminal;

namespace {

const std::vector<CardRange> k_ranges{{"reward card", "6036", 16, CheckDigit::luhn},
                                      {"key fob", "299", 13, CheckDigit::gs1_mod10},
                                      {"app card", "40123450", 18, CheckDigit::gs1_mod10},
                                      {"legacy", "77", 10, CheckDigit::none}};

bool in_a_range(const std::string& number) {
    for (const CardRange& range : k_ranges) {
        if (number.size() == range.length && number.starts_with(range.prefix)) return true;
    }
    return false;
}

const card::CardDecoder& decoder(int which) {
    const auto& ranges = k_ranges;
    static const std::vector<CardFormat> all{CardFormat::track1, CardFormat::track2, CardFormat::ean13,
                                             CardFormat::code128, CardFormat::gs1_128};
    static const card::CardDecoder plain(ranges, all, "\x1d", false);
    static const card::CardDecoder with_lrc(ranges, all, "\x1d", true);
    static const card::CardDecoder wedge(ranges, {CardFormat::ean13, CardFormat::code128, CardFormat::gs1_128}, "]",
                                         false);
    return which == 0 ? plain : which == 1 ? with_lrc : wedge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (int which = 0; which < 4; ++which) {
        card::CardRead out;
        const std::error_code ec = which < 3 ? decoder(which).decode(input, out) : decoder(0).decode_keyed(input, out);
        if (ec) {
            if (!out.number.empty() || !out.range_name.empty()) std::abort();
            continue;
        }
        // Accepted: digits only, in one of the chain's ranges.
        if (!domain::card::all_digits(out.number) || out.range_name.empty() || !in_a_range(out.number)) std::abort();
    }
    return 0;
}
