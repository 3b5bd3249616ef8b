// The terminal's configuration: who this till is, which cards are the chain's, where its reader,
// POS sockets, data and head office are. Read from one TOML file (examples in
// firmware-config/examples/), validated completely before the daemon touches anything.
//
// Relative paths in the file are taken relative to the file's own folder. Every problem found is
// reported with file, line and key; a file with any problem yields no configuration at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/config/config_error.hpp"
#include "terminal/config/reader_profile.hpp"

namespace loyalty::terminal {

enum class CheckDigit { luhn, gs1_mod10, none };

// One of the chain's own card number ranges: numbers of `length` digits starting with `prefix`.
struct CardRange {
    std::string name;
    std::string prefix;
    unsigned length = 0;
    CheckDigit check_digit = CheckDigit::luhn;
};

struct ReaderConfig {
    ReaderKind kind = ReaderKind::fifo;
    std::string device;                        // tty or evdev node, FIFO path, or "-" for stdin (fifo kind)
    std::optional<ReaderProfile> profile;      // required for serial and evdev
    std::chrono::milliseconds debounce{1500};  // the same card again within this counts once
};

struct PosConfig {
    std::filesystem::path socket;       // varint-length-delimited protobuf
    std::filesystem::path json_socket;  // JSON lines
    unsigned socket_mode = 0660;
};

struct StorageConfig {
    std::filesystem::path data_dir;
    std::uint64_t disk_budget_bytes = 0;
    unsigned retention_days = 30;
};

struct HeadOfficeConfig {
    std::string host;
    std::uint16_t port = 0;
    std::filesystem::path ca_file;
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    // The chain CA's revocation list installed with the till (optional): head office's
    // certificate is checked against it until head office sends a newer one (sync/client.hpp).
    std::filesystem::path crl_file;
};

struct TerminalConfig {
    std::string store_id;
    std::string terminal_id;
    std::string currency;         // ISO 4217
    int minor_unit_exponent = 2;  // 2 for EUR (cents), 0 for JPY
    std::string time_zone;        // IANA, e.g. "Europe/Berlin"
    std::vector<CardRange> card_ranges;
    ReaderConfig reader;
    PosConfig pos;
    StorageConfig storage;
    HeadOfficeConfig head_office;
    std::filesystem::path source;
};

struct ConfigLoadResult {
    std::optional<TerminalConfig> config;  // set only when errors is empty
    domain::ConfigErrors errors;
};

// Reads and validates `file` (and the reader profile it names).
ConfigLoadResult load_terminal_config(const std::filesystem::path& file);

// Validates TOML text; `source` names it in messages and anchors relative paths.
ConfigLoadResult parse_terminal_config(std::string_view toml_text, const std::filesystem::path& source);

std::string_view to_string(CheckDigit kind);

}  // namespace loyalty::terminal
