// Keyboard-wedge key events back into text: what a wedge magstripe reader "types" for a track.
#include "terminal/reader/evdev_keys.hpp"

#include <catch2/catch.hpp>
#include <linux/input-event-codes.h>
#include <string>

using loyalty::terminal::EvdevKeyDecoder;

namespace {

// Presses and releases `code`, with shift held around it when `shift`.
void type(EvdevKeyDecoder& keys, std::string& out, std::uint16_t code, bool shift = false) {
    if (shift) keys.feed(EV_KEY, KEY_LEFTSHIFT, 1);
    if (auto c = keys.feed(EV_KEY, code, 1)) out += *c;
    keys.feed(EV_SYN, SYN_REPORT, 0);
    if (auto c = keys.feed(EV_KEY, code, 0)) out += *c;  // releases type nothing
    if (shift) keys.feed(EV_KEY, KEY_LEFTSHIFT, 0);
}

std::uint16_t digit_key(char d) {
    return d == '0' ? KEY_0 : static_cast<std::uint16_t>(KEY_1 + (d - '1'));
}

}  // namespace

TEST_CASE("a wedge reader typing track 1 and track 2 is read back exactly") {
    EvdevKeyDecoder keys;
    std::string out;
    type(keys, out, KEY_5, true);  // %
    type(keys, out, KEY_B, true);  // B
    for (char d : std::string("6036000000000013"))
        type(keys, out, digit_key(d));
    type(keys, out, KEY_6, true);  // ^
    type(keys, out, KEY_D, true);
    type(keys, out, KEY_O, true);
    type(keys, out, KEY_E, true);
    type(keys, out, KEY_SLASH);        // /
    type(keys, out, KEY_6, true);      // ^
    type(keys, out, KEY_SLASH, true);  // ?
    type(keys, out, KEY_SEMICOLON);    // ;
    for (char d : std::string("6036000000000013"))
        type(keys, out, digit_key(d));
    type(keys, out, KEY_EQUAL);  // =
    type(keys, out, KEY_KP4);    // keypad digits too
    type(keys, out, KEY_KP9);
    type(keys, out, KEY_SLASH, true);  // ?
    CHECK(out == "%B6036000000000013^DOE/^?;6036000000000013=49?");
    CHECK(keys.feed(EV_KEY, KEY_ENTER, 1) == EvdevKeyDecoder::k_enter);
}

TEST_CASE("shift on either side, caps lock, auto-repeat and keys without characters") {
    EvdevKeyDecoder keys;
    keys.feed(EV_KEY, KEY_RIGHTSHIFT, 1);
    CHECK(keys.feed(EV_KEY, KEY_A, 1) == 'A');
    keys.feed(EV_KEY, KEY_RIGHTSHIFT, 0);
    CHECK(keys.feed(EV_KEY, KEY_A, 1) == 'a');
    CHECK_FALSE(keys.feed(EV_KEY, KEY_A, 2).has_value());  // auto-repeat is ignored
    keys.feed(EV_KEY, KEY_CAPSLOCK, 1);
    CHECK(keys.feed(EV_KEY, KEY_A, 1) == 'A');
    CHECK(keys.feed(EV_KEY, KEY_1, 1) == '1');  // caps lock does not shift digits
    keys.feed(EV_KEY, KEY_CAPSLOCK, 1);
    CHECK_FALSE(keys.feed(EV_KEY, KEY_F1, 1).has_value());
    CHECK_FALSE(keys.feed(EV_KEY, KEY_LEFTCTRL, 1).has_value());
    CHECK_FALSE(keys.feed(EV_MSC, MSC_SCAN, 458756).has_value());
    CHECK_FALSE(keys.feed(EV_KEY, 700, 1).has_value());  // beyond the keymap
    CHECK(keys.feed(EV_KEY, KEY_KPENTER, 1) == '\n');
}
