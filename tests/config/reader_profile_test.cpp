// Reader profiles: the shipped ones load; broken ones are refused with file, line and key.
#include "terminal/config/reader_profile.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using loyalty::test::TempDir;

namespace {

const char* k_serial_profile = R"(name = "test MSR"
kind = "serial"
formats = ["track1", "track2"]
terminator = "\r"
inter_char_timeout_ms = 100
lrc = true

[serial]
baud = 9600
data_bits = 8
parity = "none"
stop_bits = 1
flow_control = "none"
)";

std::string errors_of(const std::string& text) {
    TempDir dir;
    loyalty::test::write_file(dir / "p.toml", text);
    domain::ConfigErrors errors;
    const auto profile = load_reader_profile(dir / "p.toml", errors);
    CHECK_FALSE(profile.has_value());
    std::string all;
    for (const auto& error : errors) {
        all += error.to_string().substr(error.to_string().find("p.toml")) + "\n";
    }
    return all;
}

std::string with(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the shipped reader profiles load") {
    const auto dir = loyalty::test::source_dir() / "firmware-config/reader-profiles";
    domain::ConfigErrors errors;
    auto serial = load_reader_profile(dir / "usb-serial-magstripe.toml", errors);
    auto wedge = load_reader_profile(dir / "wedge-magstripe.toml", errors);
    auto scanner = load_reader_profile(dir / "wedge-barcode-scanner.toml", errors);
    for (const auto& e : errors)
        UNSCOPED_INFO(e.to_string());
    REQUIRE(errors.empty());
    REQUIRE(serial);
    REQUIRE(wedge);
    REQUIRE(scanner);
    CHECK(serial->kind == ReaderKind::serial);
    CHECK(serial->terminator == "\r");
    CHECK(serial->formats == std::vector{CardFormat::track1, CardFormat::track2});
    CHECK(wedge->kind == ReaderKind::evdev);
    REQUIRE(wedge->evdev);
    CHECK(wedge->evdev->grab);
    CHECK_FALSE(wedge->serial);
    CHECK(scanner->group_separator == "]");
    CHECK(scanner->formats == std::vector{CardFormat::ean13, CardFormat::code128, CardFormat::gs1_128});
    CHECK(scanner->inter_char_timeout == std::chrono::milliseconds{40});
}

TEST_CASE("broken reader profiles are refused with line and key") {
    CHECK_THAT(errors_of(with(k_serial_profile, "baud = 9600", "baud = 9601")),
               Catch::Contains("p.toml:9: serial.baud: must be a standard rate"));
    CHECK_THAT(errors_of(with(k_serial_profile, "parity = \"none\"", "parity = \"mark\"")),
               Catch::Contains("p.toml:11: serial.parity: must be one of \"none\", \"odd\", \"even\", got \"mark\""));
    CHECK_THAT(errors_of(with(k_serial_profile, "\"track2\"]", "\"track2\", \"track3\"]")),
               Catch::Contains("p.toml:3: formats[3]: must be one of"));
    CHECK_THAT(errors_of(with(k_serial_profile, "\"track2\"]", "\"track1\"]")),
               Catch::Contains("p.toml:3: formats[2]: lists \"track1\" twice"));
    CHECK_THAT(errors_of(with(k_serial_profile, "[serial]", "[evdev]")),
               Catch::Contains("p.toml:1: serial: required key is missing at the top level") &&
                   Catch::Contains("evdev: only a profile of kind \"evdev\" has an [evdev] table"));
    CHECK_THAT(errors_of(with(k_serial_profile, "stop_bits = 1", "stop_bits = 1\nstopbits = 2")),
               Catch::Contains("p.toml:13: serial.stopbits: unknown key"));
    CHECK_THAT(errors_of(with(k_serial_profile, "terminator = \"\\r\"", "terminator = \"\"")),
               Catch::Contains("p.toml:4: terminator: must be 1 to 4 bytes"));
    CHECK_THAT(errors_of(with(k_serial_profile, "inter_char_timeout_ms = 100", "inter_char_timeout_ms = 0")),
               Catch::Contains("p.toml:5: inter_char_timeout_ms: must be between 1 and 5000, got 0"));
    CHECK_THAT(errors_of(with(k_serial_profile, "lrc = true", "lrc = \"yes\"")),
               Catch::Contains("p.toml:6: lrc: must be true or false, got a string"));
}
