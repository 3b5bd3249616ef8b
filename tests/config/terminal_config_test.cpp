// The terminal configuration loader: the shipped examples pass, and each kind of broken file is
// refused with a message naming file, line and key.
#include "terminal/config/terminal_config.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using loyalty::test::TempDir;

namespace {

std::string valid_config() {
    const std::string profiles = (loyalty::test::source_dir() / "firmware-config/reader-profiles").string();
    return R"([terminal]
store_id = "S0042"
terminal_id = "S0042-T03"
currency = "EUR"
minor_unit_exponent = 2
time_zone = "Europe/Berlin"

[[card_ranges]]
name = "reward card"
prefix = "6036"
length = 16
check_digit = "luhn"

[[card_ranges]]
name = "key fob"
prefix = "299"
length = 13
check_digit = "gs1_mod10"

[reader]
kind = "serial"
device = "/dev/ttyUSB0"
profile = ")" +
           profiles + R"(/usb-serial-magstripe.toml"
debounce_ms = 1500

[pos]
socket = "run/pos.sock"
json_socket = "run/pos-json.sock"
socket_mode = "0660"

[storage]
data_dir = "data"
disk_budget_mb = 512
retention_days = 30

[head_office]
host = "hq.example.internal"
port = 7443
ca_file = "tls/ca.pem"
cert_file = "tls/terminal.pem"
key_file = "tls/terminal.key"
crl_file = "tls/crl.pem"
)";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
}

int line_of(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    REQUIRE(at != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

std::string all_errors(const ConfigLoadResult& result) {
    std::string text;
    for (const auto& error : result.errors)
        text += error.to_string() + "\n";
    return text;
}

struct BrokenCase {
    const char* what;
    std::string from;      // text of the valid file to replace
    std::string to;        // its replacement
    std::string at_line;   // the line the error must point at (a fragment of it), "" for the table/top
    std::string expected;  // "key: message" fragment
};

}  // namespace

TEST_CASE("the shipped example configurations are valid") {
    for (const char* name : {"terminal-serial.toml", "terminal-wedge.toml", "terminal-dev.toml"}) {
        INFO(name);
        const auto path = loyalty::test::source_dir() / "firmware-config/examples" / name;
        const ConfigLoadResult result = load_terminal_config(path);
        INFO(all_errors(result));
        REQUIRE(result.config.has_value());
        CHECK(result.errors.empty());
        CHECK_FALSE(result.config->card_ranges.empty());
        CHECK(result.config->storage.data_dir.is_absolute());
    }
}

TEST_CASE("a valid configuration is read into every field, relative paths anchored at the file") {
    TempDir dir;
    const ConfigLoadResult result = parse_terminal_config(valid_config(), dir / "terminal.toml");
    INFO(all_errors(result));
    REQUIRE(result.config.has_value());
    const TerminalConfig& c = *result.config;
    CHECK(c.store_id == "S0042");
    CHECK(c.terminal_id == "S0042-T03");
    CHECK(c.currency == "EUR");
    CHECK(c.minor_unit_exponent == 2);
    CHECK(c.time_zone == "Europe/Berlin");
    REQUIRE(c.card_ranges.size() == 2);
    CHECK(c.card_ranges[1].prefix == "299");
    CHECK(c.card_ranges[1].length == 13);
    CHECK(c.card_ranges[1].check_digit == CheckDigit::gs1_mod10);
    CHECK(c.reader.kind == ReaderKind::serial);
    CHECK(c.reader.device == "/dev/ttyUSB0");
    REQUIRE(c.reader.profile.has_value());
    REQUIRE(c.reader.profile->serial.has_value());
    CHECK(c.reader.profile->serial->baud == 9600);
    CHECK(c.reader.profile->passes_lrc);
    CHECK(c.reader.debounce == std::chrono::milliseconds{1500});
    CHECK(c.pos.socket == dir / "run/pos.sock");
    CHECK(c.pos.socket_mode == 0660);
    CHECK(c.storage.data_dir == dir / "data");
    CHECK(c.storage.disk_budget_bytes == 512ULL * 1024 * 1024);
    CHECK(c.storage.retention_days == 30);
    CHECK(c.head_office.host == "hq.example.internal");
    CHECK(c.head_office.port == 7443);
    CHECK(c.head_office.key_file == dir / "tls/terminal.key");
    CHECK(c.head_office.crl_file == dir / "tls/crl.pem");
}

TEST_CASE("each broken configuration is refused with file, line, key and the reason") {
    const std::string long_dir(120, 'x');
    const std::vector<BrokenCase> cases = {
        {"missing key", "terminal_id = \"S0042-T03\"\n", "", "[terminal]",
         "terminal.terminal_id: required key is missing in [terminal]"},
        {"unknown key", "debounce_ms = 1500\n", "debounce_ms = 1500\nbaudrate = 9600\n", "baudrate",
         "reader.baudrate: unknown key"},
        {"wrong type", "port = 7443", "port = \"7443\"",
         "port = ", "head_office.port: must be an integer, got a string"},
        {"out of range", "port = 7443", "port = 70000",
         "port = ", "head_office.port: must be between 1 and 65535, got 70000"},
        {"float for an integer", "retention_days = 30", "retention_days = 1.5", "retention_days",
         "storage.retention_days: must be an integer, got a floating-point number"},
        {"currency", "currency = \"EUR\"", "currency = \"euro\"", "currency",
         "terminal.currency: must be an ISO 4217 currency code in use"},
        {"currency not in use", "currency = \"EUR\"", "currency = \"EUX\"", "currency",
         "terminal.currency: must be an ISO 4217 currency code in use, e.g. \"EUR\" or \"GBP\", got \"EUX\""},
        {"time zone", "time_zone = \"Europe/Berlin\"", "time_zone = \"Europe/Atlantis\"", "time_zone",
         "terminal.time_zone: unknown time zone \"Europe/Atlantis\""},
        {"store id", "store_id = \"S0042\"", "store_id = \"S 42\"", "store_id",
         "terminal.store_id: must be 1 to 32 letters, digits, '-' or '_', got \"S 42\""},
        {"reader kind", "kind = \"serial\"", "kind = \"usb\"",
         "kind = ", "reader.kind: must be one of \"serial\", \"evdev\", \"fifo\", got \"usb\""},
        {"card prefix not digits", "prefix = \"6036\"", "prefix = \"60A6\"", "prefix = \"60A6\"",
         "card_ranges[1].prefix: must be 1 to 18 digits, got \"60A6\""},
        {"card prefix as long as the number", "prefix = \"299\"\nlength = 13",
         "prefix = \"2990000000000\"\nlength = 13", "prefix = \"2990000000000\"",
         "card_ranges[2].prefix: is 13 digits, not shorter than the length 13"},
        {"card length out of range", "length = 16", "length = 40", "length = 40",
         "card_ranges[1].length: must be between 8 and 19, got 40"},
        {"check digit kind", "check_digit = \"luhn\"", "check_digit = \"mod11\"", "mod11",
         "card_ranges[1].check_digit: must be one of \"luhn\", \"gs1_mod10\", \"none\", got \"mod11\""},
        {"duplicate range", "prefix = \"299\"\nlength = 13", "prefix = \"6036\"  # again\nlength = 16", "# again",
         "card_ranges[2].prefix: range \"6036\" of length 16 is listed twice"},
        {"overlapping ranges", "prefix = \"299\"\nlength = 13", "prefix = \"60361\"\nlength = 16", "60361",
         "card_ranges[2].prefix: range \"60361\" of length 16 overlaps range \"reward card\""},
        {"a Visa range as a loyalty range", "prefix = \"6036\"", "prefix = \"4571\"", "4571",
         "card_ranges[1].prefix: range \"4571\" overlaps Visa payment card numbers"},
        {"a range covering Mastercard", "prefix = \"6036\"", "prefix = \"5\"", "prefix = \"5\"",
         "card_ranges[1].prefix: range \"5\" overlaps Mastercard payment card numbers"},
        {"exponent wrong for the currency", "minor_unit_exponent = 2", "minor_unit_exponent = 0", "minor_unit",
         "terminal.minor_unit_exponent: EUR has 2 decimal places (ISO 4217), got 0"},
        {"socket mode open to everyone", "socket_mode = \"0660\"", "socket_mode = \"0666\"", "socket_mode",
         "pos.socket_mode: must give other users no access"},
        {"socket mode not octal", "socket_mode = \"0660\"", "socket_mode = \"rw-rw----\"", "socket_mode",
         "pos.socket_mode: must be an octal file mode such as \"0660\""},
        {"socket path too long", "socket = \"run/pos.sock\"", "socket = \"/" + long_dir + "/pos.sock\"",
         "socket = ", "pos.socket: socket path is 130 bytes, longer than the 107 a Unix socket allows"},
        {"same socket twice", "json_socket = \"run/pos-json.sock\"", "json_socket = \"run/pos.sock\"", "json_socket",
         "pos.json_socket: must differ from pos.socket"},
        {"disk budget too small", "disk_budget_mb = 512", "disk_budget_mb = 0", "disk_budget_mb",
         "storage.disk_budget_mb: must be between 16 and 1048576, got 0"},
        {"stdin for a serial reader", "device = \"/dev/ttyUSB0\"", "device = \"-\"", "device",
         "reader.device: \"-\" (stdin) is only for readers of kind \"fifo\""},
        {"profile for another reader kind", "usb-serial-magstripe.toml", "wedge-magstripe.toml",
         "profile = ", "reader.profile: profile \"Keyboard-wedge magstripe reader\" is for a reader of kind \"evdev\""},
        {"profile file missing", "usb-serial-magstripe.toml", "no-such-reader.toml",
         "profile = ", "no-such-reader.toml does not exist"},
        {"host name", "host = \"hq.example.internal\"", "host = \"hq example\"",
         "host = ", "head_office.host: must be a host name or IP address"},
        {"empty path", "data_dir = \"data\"", "data_dir = \"\"", "data_dir",
         "storage.data_dir: must be a path, got an empty string"},
        {"TOML syntax error", "retention_days = 30", "retention_days = = 30", "retention_days", "not valid TOML"},
    };
    REQUIRE(cases.size() >= 15);
    TempDir dir;
    const auto source = dir / "t.toml";
    for (const BrokenCase& c : cases) {
        INFO(c.what);
        const std::string text = replace(valid_config(), c.from, c.to);
        const ConfigLoadResult result = parse_terminal_config(text, source);
        INFO(all_errors(result));
        CHECK_FALSE(result.config.has_value());
        REQUIRE_FALSE(result.errors.empty());
        const int line = line_of(text, c.at_line);
        bool found = false;
        for (const domain::ConfigError& error : result.errors) {
            found = found || (error.to_string().find(c.expected) != std::string::npos && error.line == line &&
                              error.file == source.string());
        }
        CHECK(found);
    }
}

TEST_CASE("a table given as a plain value is refused") {
    TempDir dir;
    std::string text = valid_config();
    const auto storage = text.find("[storage]");
    const auto end = text.find("[head_office]");
    text.erase(storage, end - storage);
    text = "storage = \"data\"\n" + text;
    const ConfigLoadResult result = parse_terminal_config(text, dir / "t.toml");
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() == (dir / "t.toml").string() + ":1: storage: must be a table, got a string");
}

TEST_CASE("every error in a file is reported, not just the first") {
    TempDir dir;
    std::string text = valid_config();
    text = replace(text, "port = 7443", "port = 0");
    text = replace(text, "currency = \"EUR\"", "currency = 978");
    text = replace(text, "retention_days = 30", "retention_days = 30\nretention = 7");
    const ConfigLoadResult result = parse_terminal_config(text, dir / "t.toml");
    CHECK_FALSE(result.config.has_value());
    CHECK(result.errors.size() == 3);
    const std::string errors = all_errors(result);
    CHECK_THAT(errors, Catch::Contains("head_office.port") && Catch::Contains("terminal.currency") &&
                           Catch::Contains("storage.retention: unknown key"));
}

TEST_CASE("a missing, empty or oversized configuration file is refused with the reason") {
    TempDir dir;
    auto missing = load_terminal_config(dir / "nope.toml");
    REQUIRE(missing.errors.size() == 1);
    CHECK(missing.errors[0].to_string() == (dir / "nope.toml").string() + ": cannot read the file: it does not exist");

    loyalty::test::write_file(dir / "empty.toml", "");
    auto empty = load_terminal_config(dir / "empty.toml");
    CHECK_FALSE(empty.config.has_value());
    CHECK(empty.errors.size() == 6);  // every required table is missing

    loyalty::test::write_file(dir / "big.toml", std::string(2 << 20, '#'));
    auto big = load_terminal_config(dir / "big.toml");
    REQUIRE(big.errors.size() == 1);
    CHECK_THAT(big.errors[0].message, Catch::Contains("larger than 1 MiB"));

    loyalty::test::write_file(dir / "binary.toml", std::string("\x7f\x45\x4c\x46\x00\x01\xff\xfe", 8));
    auto binary = load_terminal_config(dir / "binary.toml");
    REQUIRE_FALSE(binary.errors.empty());
    CHECK_THAT(binary.errors[0].message, Catch::Contains("not valid TOML"));
}
