#include "terminal/config/terminal_config.hpp"

#include <algorithm>
#include <cctype>
#include <date/tz.h>
#include <set>

#include "domain/check_digits.hpp"
#include "domain/config/currency_keys.hpp"
#include "domain/config/toml_reader.hpp"
#include "terminal/card/payment_schemes.hpp"

namespace loyalty::terminal {
namespace {

using domain::config_detail::Diagnostics;
using domain::config_detail::quote_text;
using domain::config_detail::read_currency;
using domain::config_detail::TomlReader;

// sockaddr_un::sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t k_max_socket_path = 107;

bool is_identifier(std::string_view text) {
    return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

bool is_host_name(std::string_view text) {
    return !text.empty() && text.size() <= 253 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':';
    });
}

std::optional<std::string> read_identifier(TomlReader& table, std::string_view key) {
    auto value = table.string(key);
    if (value && !is_identifier(*value)) {
        table.error(key, "must be 1 to 32 letters, digits, '-' or '_', got " + quote_text(*value));
        return std::nullopt;
    }
    return value;
}

void read_terminal(TomlReader& root, TerminalConfig& config) {
    const toml::table* table = root.table("terminal");
    if (table == nullptr) return;
    TomlReader terminal(*table, "terminal", root.diagnostics());
    if (auto v = read_identifier(terminal, "store_id")) config.store_id = *v;
    if (auto v = read_identifier(terminal, "terminal_id")) config.terminal_id = *v;
    if (auto currency = read_currency(terminal)) {
        config.currency = currency->code;
        config.minor_unit_exponent = currency->exponent;
    }
    if (auto zone = terminal.string("time_zone")) {
        try {
            (void)date::locate_zone(*zone);
            config.time_zone = *zone;
        } catch (const std::exception&) {
            terminal.error("time_zone", "unknown time zone " + quote_text(*zone) +
                                            " (an IANA name such as \"Europe/Berlin\"; is tzdata installed?)");
        }
    }
    terminal.finish();
}

void read_card_ranges(TomlReader& root, TerminalConfig& config) {
    const toml::array* ranges = root.array("card_ranges");
    if (ranges == nullptr) return;
    Diagnostics& diag = root.diagnostics();
    if (ranges->empty()) {
        root.error("card_ranges", "must list at least one of the chain's card ranges");
        return;
    }
    if (ranges->size() > 64) {
        root.error("card_ranges", "must list at most 64 ranges, got " + std::to_string(ranges->size()));
        return;
    }
    for (std::size_t i = 0; i < ranges->size(); ++i) {
        const toml::node& node = *ranges->get(i);
        const std::string prefix_key = "card_ranges[" + std::to_string(i + 1) + "]";
        if (!node.is_table()) {
            diag.error(
                node.source(), prefix_key,
                "must be a table ([[card_ranges]]), got " + std::string{domain::config_detail::type_name(node.type())});
            continue;
        }
        TomlReader range(*node.as_table(), prefix_key, diag);
        CardRange card;
        bool ok = true;
        if (auto name = range.string("name")) {
            card.name = *name;
        } else {
            ok = false;
        }
        bool prefix_ok = false;
        if (auto prefix = range.string("prefix")) {
            prefix_ok = !prefix->empty() && prefix->size() <= 18 && domain::card::all_digits(*prefix);
            if (prefix_ok) {
                card.prefix = *prefix;
            } else {
                range.error("prefix", "must be 1 to 18 digits, got " + quote_text(*prefix));
            }
        }
        ok = ok && prefix_ok;
        const auto length = range.integer("length", 8, 19);
        if (length) {
            card.length = static_cast<unsigned>(*length);
        } else {
            ok = false;
        }
        if (auto kind = range.choice("check_digit", {"luhn", "gs1_mod10", "none"})) {
            card.check_digit = *kind == "luhn"        ? CheckDigit::luhn
                               : *kind == "gs1_mod10" ? CheckDigit::gs1_mod10
                                                      : CheckDigit::none;
        } else {
            ok = false;
        }
        range.finish();
        if (prefix_ok && length && card.prefix.size() >= card.length) {
            range.error("prefix", "is " + std::to_string(card.prefix.size()) + " digits, not shorter than the length " +
                                      std::to_string(card.length));
            ok = false;
        }
        // A stripe range (Luhn or no check) inside a bank scheme's numbers would let bank cards in.
        if (prefix_ok && card.check_digit != CheckDigit::gs1_mod10) {
            if (const auto scheme = card::payment_scheme_overlapping(card.prefix); !scheme.empty()) {
                range.error("prefix", "range " + quote_text(card.prefix) + " overlaps " + std::string{scheme} +
                                          " payment card numbers; a loyalty range must not");
                ok = false;
            }
        }
        for (const CardRange& other : config.card_ranges) {
            if (!ok || other.length != card.length) continue;
            if (other.prefix.starts_with(card.prefix) || card.prefix.starts_with(other.prefix)) {
                range.error("prefix", "range " + quote_text(card.prefix) + " of length " + std::to_string(card.length) +
                                          (other.prefix == card.prefix ? " is listed twice"
                                                                       : " overlaps range " + quote_text(other.name)));
                ok = false;
            }
        }
        if (ok) config.card_ranges.push_back(std::move(card));
    }
}

void read_reader(TomlReader& root, const std::filesystem::path& base, TerminalConfig& config,
                 domain::ConfigErrors& errors) {
    const toml::table* table = root.table("reader");
    if (table == nullptr) return;
    TomlReader reader(*table, "reader", root.diagnostics());
    auto kind = reader.choice("kind", {"serial", "evdev", "fifo"});
    if (kind)
        config.reader.kind = *kind == "serial"  ? ReaderKind::serial
                             : *kind == "evdev" ? ReaderKind::evdev
                                                : ReaderKind::fifo;
    if (auto device = reader.string("device")) {
        if (device->empty()) {
            reader.error("device", "must name the device (a tty, an evdev node, a FIFO, or \"-\" for stdin)");
        } else if (*device == "-" && config.reader.kind != ReaderKind::fifo) {
            reader.error("device", "\"-\" (stdin) is only for readers of kind \"fifo\"");
        } else if (*device != "-" && std::filesystem::path(*device).is_relative()) {
            config.reader.device = (base / *device).lexically_normal().string();
        } else {
            config.reader.device = *device;
        }
    }
    const bool needs_profile = kind && config.reader.kind != ReaderKind::fifo;
    if (auto profile_path = reader.path("profile", base, needs_profile)) {
        std::error_code ec;
        std::optional<ReaderProfile> profile;
        if (!std::filesystem::is_regular_file(*profile_path, ec)) {
            reader.error("profile", "reader profile " + profile_path->string() + " does not exist");
        } else {
            profile = load_reader_profile(*profile_path, errors);
        }
        if (profile && kind && profile->kind != config.reader.kind) {
            reader.error("profile", "profile " + quote_text(profile->name) + " is for a reader of kind " +
                                        quote_text(to_string(profile->kind)) + ", but reader.kind is " +
                                        quote_text(*kind));
        } else if (profile) {
            config.reader.profile = std::move(profile);
        }
    }
    if (auto debounce = reader.integer("debounce_ms", 0, 60'000)) {
        config.reader.debounce = std::chrono::milliseconds{*debounce};
    }
    reader.finish();
}

std::optional<std::filesystem::path> read_socket_path(TomlReader& pos, std::string_view key,
                                                      const std::filesystem::path& base) {
    auto path = pos.path(key, base);
    if (path && path->native().size() > k_max_socket_path) {
        pos.error(key, "socket path is " + std::to_string(path->native().size()) + " bytes, longer than the " +
                           std::to_string(k_max_socket_path) + " a Unix socket allows");
        return std::nullopt;
    }
    return path;
}

void read_pos(TomlReader& root, const std::filesystem::path& base, TerminalConfig& config) {
    const toml::table* table = root.table("pos");
    if (table == nullptr) return;
    TomlReader pos(*table, "pos", root.diagnostics());
    auto socket = read_socket_path(pos, "socket", base);
    auto json_socket = read_socket_path(pos, "json_socket", base);
    if (socket) config.pos.socket = *socket;
    if (json_socket) config.pos.json_socket = *json_socket;
    if (socket && json_socket && *socket == *json_socket) {
        pos.error("json_socket", "must differ from pos.socket (one socket speaks protobuf, the other JSON lines)");
    }
    if (auto mode = pos.string("socket_mode")) {
        const bool octal = mode->size() >= 3 && mode->size() <= 4 &&
                           std::all_of(mode->begin(), mode->end(), [](char c) { return c >= '0' && c <= '7'; });
        const unsigned value = octal ? static_cast<unsigned>(std::stoul(*mode, nullptr, 8)) : 0;
        if (!octal || value > 0777) {
            pos.error("socket_mode", "must be an octal file mode such as \"0660\", got " + quote_text(*mode));
        } else if ((value & 0600) != 0600) {
            pos.error("socket_mode", "must let the owner read and write (0600 at least), got " + quote_text(*mode));
        } else if ((value & 0007) != 0) {
            pos.error("socket_mode",
                      "must give other users no access (a local user could drive the till), got " + quote_text(*mode));
        } else {
            config.pos.socket_mode = value;
        }
    }
    pos.finish();
}

void read_storage(TomlReader& root, const std::filesystem::path& base, TerminalConfig& config) {
    const toml::table* table = root.table("storage");
    if (table == nullptr) return;
    TomlReader storage(*table, "storage", root.diagnostics());
    if (auto dir = storage.path("data_dir", base)) config.storage.data_dir = *dir;
    if (auto budget = storage.integer("disk_budget_mb", 16, 1'048'576)) {
        config.storage.disk_budget_bytes = static_cast<std::uint64_t>(*budget) * 1024 * 1024;
    }
    if (auto days = storage.integer("retention_days", 1, 3650))
        config.storage.retention_days = static_cast<unsigned>(*days);
    storage.finish();
}

void read_head_office(TomlReader& root, const std::filesystem::path& base, TerminalConfig& config) {
    const toml::table* table = root.table("head_office");
    if (table == nullptr) return;
    TomlReader hq(*table, "head_office", root.diagnostics());
    if (auto host = hq.string("host")) {
        if (is_host_name(*host)) {
            config.head_office.host = *host;
        } else {
            hq.error("host", "must be a host name or IP address, got " + quote_text(*host));
        }
    }
    if (auto port = hq.integer("port", 1, 65535)) config.head_office.port = static_cast<std::uint16_t>(*port);
    if (auto ca = hq.path("ca_file", base)) config.head_office.ca_file = *ca;
    if (auto cert = hq.path("cert_file", base)) config.head_office.cert_file = *cert;
    if (auto key = hq.path("key_file", base)) config.head_office.key_file = *key;
    if (auto crl = hq.path("crl_file", base, false)) config.head_office.crl_file = *crl;
    hq.finish();
}

ConfigLoadResult validate(const toml::table& document, const std::filesystem::path& source, Diagnostics& diag,
                          domain::ConfigErrors& errors) {
    const std::filesystem::path base =
        source.has_parent_path() ? std::filesystem::absolute(source).parent_path() : std::filesystem::current_path();
    TerminalConfig config;
    config.source = source;
    TomlReader root(document, "", diag);
    read_terminal(root, config);
    read_card_ranges(root, config);
    read_reader(root, base, config, errors);
    read_pos(root, base, config);
    read_storage(root, base, config);
    read_head_office(root, base, config);
    root.finish();

    ConfigLoadResult result;
    if (errors.empty()) result.config = std::move(config);
    result.errors = std::move(errors);
    return result;
}

}  // namespace

std::string_view to_string(CheckDigit kind) {
    switch (kind) {
        case CheckDigit::luhn: return "luhn";
        case CheckDigit::gs1_mod10: return "gs1_mod10";
        case CheckDigit::none: return "none";
    }
    return "?";
}

ConfigLoadResult load_terminal_config(const std::filesystem::path& file) {
    domain::ConfigErrors errors;
    Diagnostics diag(file.string(), errors);
    auto document = domain::config_detail::parse_file(file, diag);
    if (!document) return ConfigLoadResult{std::nullopt, std::move(errors)};
    return validate(*document, file, diag, errors);
}

ConfigLoadResult parse_terminal_config(std::string_view toml_text, const std::filesystem::path& source) {
    domain::ConfigErrors errors;
    Diagnostics diag(source.string(), errors);
    auto document = domain::config_detail::parse_text(toml_text, diag);
    if (!document) return ConfigLoadResult{std::nullopt, std::move(errors)};
    return validate(*document, source, diag, errors);
}

}  // namespace loyalty::terminal
