// Strict, located reading of one TOML table: every value is type- and range-checked, every
// missing required key and every key nobody asked for is reported with file, line and key.
//
// Internal to the config loaders (terminal_config.cpp, reader_profile.cpp). Usage: make a
// TomlReader for a table, ask for each key it may hold, then call finish() to report the keys
// that were not asked for (typos such as "baudrate" for "baud").
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "domain/config/config_error.hpp"

namespace loyalty::domain::config_detail {

// Collects errors for one file.
class Diagnostics {
public:
    Diagnostics(std::string file, ConfigErrors& sink) : file_(std::move(file)), sink_(sink) {}
    void error(const toml::source_region& where, std::string key, std::string message);
    void error(int line, std::string key, std::string message);
    const std::string& file() const { return file_; }

private:
    std::string file_;
    ConfigErrors& sink_;
};

class TomlReader {
public:
    // `prefix` is the dotted path of this table ("" for the root, "reader", "card_ranges[1]").
    TomlReader(const toml::table& table, std::string prefix, Diagnostics& diag);

    std::optional<std::string> string(std::string_view key, bool required = true);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max, bool required = true);
    std::optional<bool> boolean(std::string_view key, bool required = true);
    // An integer or a floating-point number.
    std::optional<double> number(std::string_view key, double min, double max, bool required = true);
    // A string that must be one of `choices`.
    std::optional<std::string> choice(std::string_view key, std::initializer_list<std::string_view> choices,
                                      bool required = true);
    // A path; relative paths are taken relative to `base_dir` (the configuration file's folder).
    std::optional<std::filesystem::path> path(std::string_view key, const std::filesystem::path& base_dir,
                                              bool required = true);
    const toml::table* table(std::string_view key, bool required = true);
    const toml::array* array(std::string_view key, bool required = true);

    // Reports `message` against `key` (its line if present, else the table's).
    void error(std::string_view key, std::string message);
    // Counts `key` as known without reading it (it is read elsewhere, or deliberately ignored).
    void mark_known(std::string_view key) { asked_.emplace(key); }
    // Reports every key of the table that no accessor asked for.
    void finish();

    std::string full_key(std::string_view key) const;
    const toml::table& raw() const { return table_; }
    Diagnostics& diagnostics() { return diag_; }

private:
    const toml::node* lookup(std::string_view key, bool required);

    const toml::table& table_;
    std::string prefix_;
    Diagnostics& diag_;
    std::set<std::string, std::less<>> asked_;
};

// Reads and parses a configuration file (at most 1 MiB). On failure reports why (unreadable,
// too large, a TOML syntax error with its line) and returns nullopt.
std::optional<toml::table> parse_file(const std::filesystem::path& file, Diagnostics& diag);
std::optional<toml::table> parse_text(std::string_view text, Diagnostics& diag);

// "a string", "an integer", "a table", ... for messages.
std::string_view type_name(toml::node_type type);
// The text quoted for messages: "abc" -> "\"abc\"", truncated to a sane length.
std::string quote_text(std::string_view text);

}  // namespace loyalty::domain::config_detail
