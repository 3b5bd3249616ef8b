// Random text people read out and type: Crockford base32 (digits and capitals without I, L, O, U).
// Used for the tag in a terminal's ids (terminal/store/local_store.cpp) and campaigns' single-use
// codes (hq/storage/campaigns.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loyalty {

inline constexpr std::string_view k_crockford_alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// `chars` characters, each from five bits of `random` (a std::random_device or a seeded engine).
template <typename Random>
std::string random_crockford(std::size_t chars, Random& random) {
    std::string text;
    text.reserve(chars);
    for (std::size_t i = 0; i < chars; ++i)
        text += k_crockford_alphabet[random() & 31U];
    return text;
}

}  // namespace loyalty
