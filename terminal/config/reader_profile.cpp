#include "terminal/config/reader_profile.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "domain/config/toml_reader.hpp"

namespace loyalty::terminal {
namespace {

using domain::config_detail::Diagnostics;
using domain::config_detail::TomlReader;

template <typename Enum, std::size_t N>
Enum lookup(const std::array<std::pair<std::string_view, Enum>, N>& table, std::string_view name) {
    for (const auto& [text, value] : table) {
        if (text == name) return value;
    }
    return table.front().second;  // unreachable after choice() validated the name
}

constexpr std::array<std::pair<std::string_view, ReaderKind>, 3> k_reader_kinds{
    {{"serial", ReaderKind::serial}, {"evdev", ReaderKind::evdev}, {"fifo", ReaderKind::fifo}}};

constexpr std::array<std::pair<std::string_view, CardFormat>, 5> k_formats{{{"track1", CardFormat::track1},
                                                                            {"track2", CardFormat::track2},
                                                                            {"ean13", CardFormat::ean13},
                                                                            {"code128", CardFormat::code128},
                                                                            {"gs1_128", CardFormat::gs1_128}}};

constexpr std::array<std::pair<std::string_view, Parity>, 3> k_parities{
    {{"none", Parity::none}, {"odd", Parity::odd}, {"even", Parity::even}}};

constexpr std::array<std::pair<std::string_view, FlowControl>, 3> k_flow_controls{
    {{"none", FlowControl::none}, {"software", FlowControl::software}, {"hardware", FlowControl::hardware}}};

constexpr std::array<std::int64_t, 8> k_baud_rates{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};

std::optional<SerialSettings> read_serial(TomlReader& profile) {
    const toml::table* table = profile.table("serial");
    if (table == nullptr) return std::nullopt;
    TomlReader serial(*table, "serial", profile.diagnostics());
    SerialSettings settings;
    bool ok = true;
    if (auto baud = serial.integer("baud", 50, 4'000'000)) {
        if (std::find(k_baud_rates.begin(), k_baud_rates.end(), *baud) == k_baud_rates.end()) {
            serial.error("baud",
                         "must be a standard rate (1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200), got " +
                             std::to_string(*baud));
            ok = false;
        } else {
            settings.baud = static_cast<unsigned>(*baud);
        }
    } else {
        ok = false;
    }
    if (auto bits = serial.integer("data_bits", 7, 8))
        settings.data_bits = static_cast<unsigned>(*bits);
    else
        ok = false;
    if (auto parity = serial.choice("parity", {"none", "odd", "even"}))
        settings.parity = lookup(k_parities, *parity);
    else
        ok = false;
    if (auto stop = serial.integer("stop_bits", 1, 2))
        settings.stop_bits = static_cast<unsigned>(*stop);
    else
        ok = false;
    if (auto flow = serial.choice("flow_control", {"none", "software", "hardware"})) {
        settings.flow_control = lookup(k_flow_controls, *flow);
    } else {
        ok = false;
    }
    serial.finish();
    return ok ? std::optional{settings} : std::nullopt;
}

std::optional<EvdevSettings> read_evdev(TomlReader& profile) {
    const toml::table* table = profile.table("evdev");
    if (table == nullptr) return std::nullopt;
    TomlReader evdev(*table, "evdev", profile.diagnostics());
    EvdevSettings settings;
    auto grab = evdev.boolean("grab");
    auto keymap = evdev.choice("keymap", {"us"});
    evdev.finish();
    if (!grab || !keymap) return std::nullopt;
    settings.grab = *grab;
    settings.keymap = *keymap;
    return settings;
}

}  // namespace

std::string_view to_string(ReaderKind kind) {
    for (const auto& [text, value] : k_reader_kinds) {
        if (value == kind) return text;
    }
    return "?";
}

std::string_view to_string(CardFormat format) {
    for (const auto& [text, value] : k_formats) {
        if (value == format) return text;
    }
    return format == CardFormat::keyed ? "keyed" : "?";
}

std::optional<ReaderProfile> load_reader_profile(const std::filesystem::path& file, domain::ConfigErrors& errors) {
    const std::size_t errors_before = errors.size();
    Diagnostics diag(file.string(), errors);
    auto document = domain::config_detail::parse_file(file, diag);
    if (!document) return std::nullopt;

    TomlReader root(*document, "", diag);
    ReaderProfile profile;
    profile.source = file;

    if (auto name = root.string("name")) {
        if (name->empty() || name->size() > 80) root.error("name", "must be 1 to 80 characters");
        profile.name = *name;
    }
    auto kind = root.choice("kind", {"serial", "evdev", "fifo"});
    if (kind) profile.kind = lookup(k_reader_kinds, *kind);

    if (const toml::array* formats = root.array("formats")) {
        if (formats->empty()) root.error("formats", "must list at least one card format");
        for (std::size_t i = 0; i < formats->size(); ++i) {
            const toml::node& node = *formats->get(i);
            const std::string key = "formats[" + std::to_string(i + 1) + "]";
            const auto* text = node.as_string();
            const bool known = text != nullptr && std::any_of(k_formats.begin(), k_formats.end(),
                                                              [&](const auto& f) { return f.first == text->get(); });
            if (!known) {
                diag.error(node.source(), key,
                           "must be one of \"track1\", \"track2\", \"ean13\", \"code128\", \"gs1_128\", got " +
                               (text ? domain::config_detail::quote_text(text->get())
                                     : std::string{domain::config_detail::type_name(node.type())}));
                continue;
            }
            const CardFormat format = lookup(k_formats, text->get());
            if (std::find(profile.formats.begin(), profile.formats.end(), format) != profile.formats.end()) {
                diag.error(node.source(), key, "lists " + domain::config_detail::quote_text(text->get()) + " twice");
                continue;
            }
            profile.formats.push_back(format);
        }
    }

    if (auto terminator = root.string("terminator")) {
        if (terminator->empty() || terminator->size() > 4) {
            root.error("terminator", "must be 1 to 4 bytes, e.g. \"\\r\" or \"\\n\"");
        }
        profile.terminator = *terminator;
    }
    if (auto timeout = root.integer("inter_char_timeout_ms", 1, 5000)) {
        profile.inter_char_timeout = std::chrono::milliseconds{*timeout};
    }
    if (auto lrc = root.boolean("lrc", false)) profile.passes_lrc = *lrc;
    if (auto gs = root.string("group_separator", false)) {
        if (gs->empty() || gs->size() > 8) root.error("group_separator", "must be 1 to 8 bytes, e.g. \"\\u001D\"");
        profile.group_separator = *gs;
    }

    // The device settings table must match the kind, and only that one may be present.
    const bool has_serial = document->contains("serial");
    const bool has_evdev = document->contains("evdev");
    if (kind) {
        if (profile.kind == ReaderKind::serial) {
            profile.serial = read_serial(root);
        } else if (has_serial) {
            root.error("serial", "only a profile of kind \"serial\" has a [serial] table");
        }
        if (profile.kind == ReaderKind::evdev) {
            profile.evdev = read_evdev(root);
        } else if (has_evdev) {
            root.error("evdev", "only a profile of kind \"evdev\" has an [evdev] table");
        }
    }
    // Mark the device tables as seen so finish() does not call them unknown as well.
    root.mark_known("serial");
    root.mark_known("evdev");
    root.finish();

    if (errors.size() != errors_before) return std::nullopt;
    return profile;
}

}  // namespace loyalty::terminal
