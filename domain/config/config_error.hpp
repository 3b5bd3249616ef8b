// A configuration problem, located: the file, the line and the dotted key it concerns.
//
// Loaders of outside configuration (the terminal's TOML file, reader profiles) report every
// problem they find, not just the first, so an installer fixes a file in one pass.
#pragma once

#include <string>
#include <vector>

namespace loyalty::domain {

struct ConfigError {
    std::string file;
    int line = 0;         // 1-based; 0 when no line applies (the file cannot be read)
    std::string key;      // dotted path, e.g. "reader.kind" or "card_ranges[2].prefix"; may be empty
    std::string message;  // what is wrong and what is expected

    // "terminal.toml:12: reader.kind: must be one of "serial", "evdev", "fifo", got "usb""
    std::string to_string() const;
};

using ConfigErrors = std::vector<ConfigError>;

}  // namespace loyalty::domain
