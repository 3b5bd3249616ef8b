// A card reader profile: how one model of reader or scanner delivers what it reads.
//
// Profiles live in firmware-config/reader-profiles/ as TOML files; a terminal's configuration
// names one. The profile tells the reader code how to open the device (serial line settings, or
// an evdev keyboard grab and keymap), how a read ends (terminator, inter-character timeout), and
// which card formats to expect. Loaded and validated by load_reader_profile().
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "domain/config/config_error.hpp"

namespace loyalty::terminal {

enum class ReaderKind { serial, evdev, fifo };
// How a card number arrived: the reader formats a profile can enable, or keyed in by the cashier.
enum class CardFormat { track1, track2, ean13, code128, gs1_128, keyed };
enum class Parity { none, odd, even };
enum class FlowControl { none, software, hardware };

struct SerialSettings {
    unsigned baud = 9600;
    unsigned data_bits = 8;
    Parity parity = Parity::none;
    unsigned stop_bits = 1;
    FlowControl flow_control = FlowControl::none;
};

struct EvdevSettings {
    bool grab = true;           // EVIOCGRAB: keystrokes do not reach other applications
    std::string keymap = "us";  // how key codes map to characters
};

struct ReaderProfile {
    std::string name;
    ReaderKind kind = ReaderKind::fifo;
    std::vector<CardFormat> formats;
    std::string terminator = "\n";                      // the byte(s) that end one read
    std::chrono::milliseconds inter_char_timeout{100};  // a read unfinished after this is partial
    bool passes_lrc = false;                            // the reader forwards the track's LRC character
    std::string group_separator = "\x1d";               // what the scanner sends for GS1 FNC1 / GS
    std::optional<SerialSettings> serial;
    std::optional<EvdevSettings> evdev;
    std::filesystem::path source;
};

// Loads and validates a profile file. On failure returns nullopt and appends every problem found.
std::optional<ReaderProfile> load_reader_profile(const std::filesystem::path& file, domain::ConfigErrors& errors);

std::string_view to_string(ReaderKind kind);
std::string_view to_string(CardFormat format);

}  // namespace loyalty::terminal
