#include "domain/config/toml_reader.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace loyalty::domain::config_detail {

void Diagnostics::error(const toml::source_region& where, std::string key, std::string message) {
    error(static_cast<int>(where.begin.line), std::move(key), std::move(message));
}

void Diagnostics::error(int line, std::string key, std::string message) {
    sink_.push_back(ConfigError{file_, line, std::move(key), std::move(message)});
}

std::optional<toml::table> parse_text(std::string_view text, Diagnostics& diag) {
    try {
        return toml::parse(text, diag.file());
    } catch (const toml::parse_error& e) {
        diag.error(std::max<int>(1, static_cast<int>(e.source().begin.line)), "",
                   "not valid TOML: " + std::string{e.description()});
        return std::nullopt;
    }
}

std::optional<toml::table> parse_file(const std::filesystem::path& file, Diagnostics& diag) {
    constexpr std::uintmax_t k_max_size = 1 << 20;
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status)) {
        diag.error(0, "", "cannot read the file: it does not exist");
        return std::nullopt;
    }
    if (!std::filesystem::is_regular_file(status)) {
        diag.error(0, "", "cannot read the file: it is not a regular file");
        return std::nullopt;
    }
    const auto size = std::filesystem::file_size(file, ec);
    if (ec || size > k_max_size) {
        diag.error(0, "", "cannot read the file: larger than 1 MiB, this is not a configuration file");
        return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    if (!(content << in.rdbuf()) && size != 0) {
        diag.error(0, "", "cannot read the file: permission denied or I/O error");
        return std::nullopt;
    }
    return parse_text(content.str(), diag);
}

std::string_view type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::none: return "nothing";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
    }
    return "an unknown type";
}

std::string quote_text(std::string_view text) {
    constexpr std::size_t k_max_shown = 60;
    std::string out = "\"";
    for (char c : text.substr(0, k_max_shown)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            static constexpr char k_hex[] = "0123456789abcdef";
            out += "\\x";
            out += k_hex[byte >> 4];
            out += k_hex[byte & 0xf];
        } else {
            out += c;
        }
    }
    if (text.size() > k_max_shown) out += "...";
    out += "\"";
    return out;
}

TomlReader::TomlReader(const toml::table& table, std::string prefix, Diagnostics& diag)
    : table_(table), prefix_(std::move(prefix)), diag_(diag) {}

std::string TomlReader::full_key(std::string_view key) const {
    return prefix_.empty() ? std::string{key} : prefix_ + "." + std::string{key};
}

void TomlReader::error(std::string_view key, std::string message) {
    const toml::node* node = table_.get(key);
    const toml::source_region& where = node != nullptr ? node->source() : table_.source();
    diag_.error(std::max<int>(1, static_cast<int>(where.begin.line)), full_key(key), std::move(message));
}

const toml::node* TomlReader::lookup(std::string_view key, bool required) {
    asked_.emplace(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr && required) {
        const int line = std::max<int>(1, static_cast<int>(table_.source().begin.line));
        const std::string where = prefix_.empty() ? "at the top level" : "in [" + prefix_ + "]";
        diag_.error(line, full_key(key), "required key is missing " + where);
    }
    return node;
}

std::optional<std::string> TomlReader::string(std::string_view key, bool required) {
    const toml::node* node = lookup(key, required);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) {
        error(key, "must be a string, got " + std::string{type_name(node->type())});
        return std::nullopt;
    }
    return node->as_string()->get();
}

std::optional<std::int64_t> TomlReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                bool required) {
    const toml::node* node = lookup(key, required);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) {
        error(key, "must be an integer, got " + std::string{type_name(node->type())});
        return std::nullopt;
    }
    const std::int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
        error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                       std::to_string(value));
        return std::nullopt;
    }
    return value;
}

std::optional<double> TomlReader::number(std::string_view key, double min, double max, bool required) {
    const toml::node* node = lookup(key, required);
    if (node == nullptr) return std::nullopt;
    if (!node->is_number()) {
        error(key, "must be a number, got " + std::string{type_name(node->type())});
        return std::nullopt;
    }
    const double value =
        node->is_integer() ? static_cast<double>(node->as_integer()->get()) : node->as_floating_point()->get();
    if (!(value >= min && value <= max)) {
        char text[96];
        std::snprintf(text, sizeof text, "must be between %g and %g, got %g", min, max, value);
        error(key, text);
        return std::nullopt;
    }
    return value;
}

std::optional<bool> TomlReader::boolean(std::string_view key, bool required) {
    const toml::node* node = lookup(key, required);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) {
        error(key, "must be true or false, got " + std::string{type_name(node->type())});
        return std::nullopt;
    }
    return node->as_boolean()->get();
}

std::optional<std::string> TomlReader::choice(std::string_view key, std::initializer_list<std::string_view> choices,
                                              bool required) {
    auto value = string(key, required);
    if (!value) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *value) != choices.end()) return value;
    std::string listed;
    for (std::string_view choice : choices) {
        if (!listed.empty()) listed += ", ";
        listed += quote_text(choice);
    }
    error(key, "must be one of " + listed + ", got " + quote_text(*value));
    return std::nullopt;
}

std::optional<std::filesystem::path> TomlReader::path(std::string_view key, const std::filesystem::path& base_dir,
                                                      bool required) {
    auto value = string(key, required);
    if (!value) return std::nullopt;
    if (value->empty()) {
        error(key, "must be a path, got an empty string");
        return std::nullopt;
    }
    if (value->find('\0') != std::string::npos) {
        error(key, "must be a path, got text with a NUL byte");
        return std::nullopt;
    }
    std::filesystem::path path{*value};
    if (path.is_relative()) path = base_dir / path;
    return path.lexically_normal();
}

const toml::table* TomlReader::table(std::string_view key, bool required) {
    const toml::node* node = lookup(key, required);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
        error(key, "must be a table, got " + std::string{type_name(node->type())});
        return nullptr;
    }
    return node->as_table();
}

const toml::array* TomlReader::array(std::string_view key, bool required) {
    const toml::node* node = lookup(key, required);
    if (node == nullptr) return nullptr;
    if (!node->is_array()) {
        error(key, "must be an array, got " + std::string{type_name(node->type())});
        return nullptr;
    }
    return node->as_array();
}

void TomlReader::finish() {
    for (auto&& [key, node] : table_) {
        if (asked_.contains(key.str())) continue;
        (void)node;
        diag_.error(std::max<int>(1, static_cast<int>(key.source().begin.line)), full_key(key.str()),
                    "unknown key (misspelt, or not valid in this table)");
    }
}

}  // namespace loyalty::domain::config_detail
