#include "terminal/reader/evdev_keys.hpp"

#include <linux/input-event-codes.h>
#include <string_view>

namespace loyalty::terminal {
namespace {

// Index = key code; ' ' where a code types nothing we map (0 is never a character here).
// (The "sv" literals keep the embedded NULs in the view.)
using namespace std::string_view_literals;
constexpr std::string_view k_plain =
    "\0\0"
    "1234567890-=\0\0"
    "qwertyuiop[]\0\0"
    "asdfghjkl;'`\0\\"
    "zxcvbnm,./\0*\0 "sv;
constexpr std::string_view k_shifted =
    "\0\0"
    "!@#$%^&*()_+\0\0"
    "QWERTYUIOP{}\0\0"
    "ASDFGHJKL:\"~\0|"
    "ZXCVBNM<>?\0*\0 "sv;
static_assert(k_plain.size() == 58 && k_shifted.size() == 58);

std::optional<char> keypad(std::uint16_t code) {
    switch (code) {
        case KEY_KP0: return '0';
        case KEY_KP1: return '1';
        case KEY_KP2: return '2';
        case KEY_KP3: return '3';
        case KEY_KP4: return '4';
        case KEY_KP5: return '5';
        case KEY_KP6: return '6';
        case KEY_KP7: return '7';
        case KEY_KP8: return '8';
        case KEY_KP9: return '9';
        case KEY_KPMINUS: return '-';
        case KEY_KPPLUS: return '+';
        case KEY_KPDOT: return '.';
        case KEY_KPSLASH: return '/';
        case KEY_KPASTERISK: return '*';
        default: return std::nullopt;
    }
}

}  // namespace

std::optional<char> EvdevKeyDecoder::feed(std::uint16_t type, std::uint16_t code, std::int32_t value) {
    if (type != EV_KEY) return std::nullopt;
    const bool pressed = value == 1;  // 0 release, 2 auto-repeat (ignored: a scanner never repeats)
    if (code == KEY_LEFTSHIFT) {
        left_shift_ = value != 0;
        return std::nullopt;
    }
    if (code == KEY_RIGHTSHIFT) {
        right_shift_ = value != 0;
        return std::nullopt;
    }
    if (!pressed) return std::nullopt;
    if (code == KEY_CAPSLOCK) {
        caps_lock_ = !caps_lock_;
        return std::nullopt;
    }
    if (code == KEY_ENTER || code == KEY_KPENTER) return k_enter;
    if (auto c = keypad(code)) return c;
    if (code >= k_plain.size()) return std::nullopt;
    const bool shift = left_shift_ || right_shift_;
    char c = shift ? k_shifted[code] : k_plain[code];
    if (c == '\0') return std::nullopt;
    if (caps_lock_ && c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 'a' + 'A');
    else if (caps_lock_ && c >= 'A' && c <= 'Z')
        c = static_cast<char>(c - 'A' + 'a');
    return c;
}

}  // namespace loyalty::terminal
