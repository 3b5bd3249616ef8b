// EvdevKeyDecoder: turns the key events of a keyboard-wedge reader or scanner (Linux evdev,
// linux/input.h codes) back into the characters it typed, with shift, on a US layout. Pure:
// the device I/O is in card_readers.cpp.
#pragma once

#include <cstdint>
#include <optional>

namespace loyalty::terminal {

class EvdevKeyDecoder {
public:
    static constexpr char k_enter = '\n';

    // One input_event (type, code, value). Returns the character a key press typed ('\n' for
    // Enter), or nothing (releases, modifiers, keys without a character).
    std::optional<char> feed(std::uint16_t type, std::uint16_t code, std::int32_t value);

private:
    bool left_shift_ = false;
    bool right_shift_ = false;
    bool caps_lock_ = false;
};

}  // namespace loyalty::terminal
