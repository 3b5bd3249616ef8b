#include "tests/support/fleet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <regex>
#include <thread>

#include "common/sqlite/database.hpp"

namespace loyalty::test {
namespace {

using namespace std::chrono_literals;

const std::string k_hq = LOYALTY_HQ_PATH;
const std::string k_loyaltyd = LOYALTYD_PATH;

std::string pki_command(const std::string& args) {
    return "bash '" + (source_dir() / "firmware-config/pki/pki.sh").string() + "' " + args;
}

bool log_contains(const std::filesystem::path& log, const std::string& text, std::size_t from,
                  std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (read_file(log).find(text, from) != std::string::npos) return true;
        std::this_thread::sleep_for(10ms);
    }
    return read_file(log).find(text, from) != std::string::npos;
}

std::size_t log_size(const std::filesystem::path& log) {
    return std::filesystem::exists(log) ? read_file(log).size() : 0;
}

}  // namespace

void pki(const std::string& args) {
    const std::string command = pki_command(args) + " >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
}

std::string pki_output(const std::string& args) {
    return run_process({"/bin/bash", "-c", pki_command(args)}).output;
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

std::string certificate_serial(const std::filesystem::path& pem) {
    const std::string out = run_process({"/usr/bin/openssl", "x509", "-in", pem.string(), "-noout", "-serial"}).output;
    std::smatch match;
    REQUIRE(std::regex_search(out, match, std::regex("serial=([0-9A-F]+)")));
    return match[1];
}

HeadOffice::HeadOffice(TempDir& d, std::string n)
    : dir(d), name(std::move(n)), config(dir / (name + ".toml")), database(dir / name / "hq.db") {
    if (!std::filesystem::exists(dir / "ca" / "ca.pem")) {
        pki("init '" + (dir / "ca").string() + "'");
        pki("server '" + (dir / "ca").string() + "' 127.0.0.1");
    }
    write_config();
}

void HeadOffice::write_config() {
    write_file(config, "currency = \"EUR\"\n[server]\nlisten = \"127.0.0.1\"\nport = " + std::to_string(port) +
                           "\n[tls]\nca_file = \"ca/ca.pem\"\ncert_file = \"" + cert_file + "\"\nkey_file = \"" +
                           key_file + "\"\ncrl_file = \"" + crl_file + "\"\n[storage]\ndatabase = \"" +
                           database.string() + "\"\n");
}

void HeadOffice::start() {
    const auto before = log_size(log_file());
    process = std::make_unique<ChildProcess>(std::vector<std::string>{k_hq, "--config", config.string(), "serve"},
                                             log_file());
    REQUIRE(wait_for_log("serving terminals", before));
}

bool HeadOffice::wait_for_log(const std::string& text, std::size_t from, std::chrono::milliseconds timeout) {
    return log_contains(log_file(), text, from, timeout);
}

std::string HeadOffice::log() const {
    return read_file(log_file());
}

std::int64_t HeadOffice::query(const std::string& sql) const {
    sqlite::Database db(database, sqlite::OpenMode::read_only);
    db.exec("PRAGMA busy_timeout = 5000");
    return db.query_int64(sql).value_or(-1);
}

std::set<std::string> HeadOffice::sale_ids() const {
    sqlite::Database db(database, sqlite::OpenMode::read_only);
    db.exec("PRAGMA busy_timeout = 5000");
    std::set<std::string> ids;
    auto select = db.prepare("SELECT sale_id FROM sales");
    while (select.step())
        ids.insert(select.column_text(0));
    return ids;
}

std::string HeadOffice::run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{k_hq, "--config", config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv).output;
}

Till::Till(TempDir& d, const std::string& store, const std::string& terminal, std::uint16_t port)
    : dir(d), terminal_id(terminal), home(d / terminal), config(home / "terminal.toml") {
    std::filesystem::create_directories(home);
    pki("terminal '" + (dir / "ca").string() + "' " + store + " " + terminal);
    ::mkfifo((home / "reader.fifo").c_str(), 0600);
    write_file(config, "[terminal]\nstore_id = \"" + store + "\"\nterminal_id = \"" + terminal +
                           "\"\ncurrency = \"EUR\"\nminor_unit_exponent = 2\n"
                           "time_zone = \"Europe/Berlin\"\n\n[[card_ranges]]\nname = \"reward\"\n"
                           "prefix = \"6036\"\nlength = 16\ncheck_digit = \"luhn\"\n\n[reader]\n"
                           "kind = \"fifo\"\ndevice = \"reader.fifo\"\ndebounce_ms = 1500\n\n"
                           "[pos]\nsocket = \"pos.sock\"\njson_socket = \"pos-json.sock\"\n"
                           "socket_mode = \"0600\"\n\n[storage]\ndata_dir = \"data\"\n"
                           "disk_budget_mb = 256\nretention_days = 30\n\n[head_office]\nhost = \"127.0.0.1\"\nport = " +
                           std::to_string(port) + "\nca_file = \"" + (dir / "ca/ca.pem").string() +
                           "\"\ncert_file = \"" + (dir / "ca" / (terminal + ".pem")).string() + "\"\nkey_file = \"" +
                           (dir / "ca" / (terminal + ".key")).string() + "\"\n");
}

void Till::install_crl(const std::filesystem::path& crl) {
    // [head_office] is the last table of the file.
    write_file(config, read_file(config) + "crl_file = \"" + crl.string() + "\"\n");
}

void Till::start() {
    const auto before = log_size(log_file());
    process =
        std::make_unique<ChildProcess>(std::vector<std::string>{k_loyaltyd, "--config", config.string()}, log_file());
    REQUIRE(wait_for_log(" ready", before));
}

std::string Till::log() const {
    return read_file(log_file());
}

bool Till::wait_for_log(const std::string& text, std::size_t from, std::chrono::milliseconds timeout) {
    return log_contains(log_file(), text, from, timeout);
}

std::int64_t Till::last_sequence() const {
    sqlite::Database db(database(), sqlite::OpenMode::read_only);
    db.exec("PRAGMA busy_timeout = 5000");
    return db.query_int64("SELECT value FROM counters WHERE name = 'outbox_sequence'").value_or(-1);
}

std::int64_t Till::acked_through() const {
    sqlite::Database db(database(), sqlite::OpenMode::read_only);
    db.exec("PRAGMA busy_timeout = 5000");
    return db
        .query_int64(
            "SELECT coalesce(min(sequence) - 1, (SELECT value FROM counters WHERE name = "
            "'outbox_sequence')) FROM outbox WHERE acked_at IS NULL")
        .value_or(-1);
}

std::string enroll(const std::filesystem::path& socket, const std::string& card, const std::string& contact) {
    UnixClient pos(socket);
    REQUIRE(pos.connected());
    const std::string reply =
        pos.request(R"({"enrollCustomer":{"cardText":")" + card + R"(","contact":)" + contact +
                    R"(,"consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true}]}})");
    std::smatch match;
    REQUIRE(std::regex_search(reply, match, std::regex(R"re("customerId":"([^"]+)")re")));
    return match[1];
}

std::string sell_milk(UnixClient& pos) {
    pos.request(R"({"beginBasket":{"cashierId":"C-1"}})");
    pos.request(
        R"({"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"2"},"unitPrice":{"minorUnits":"119"}}})");
    const std::string reply =
        pos.request(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"500"}}]}})");
    std::smatch match;
    if (!std::regex_search(reply, match, std::regex(R"re("saleId":"([^"]+)")re"))) return {};
    return match[1];
}

void Sales::sell(int n) {
    UnixClient pos(till.socket());
    REQUIRE(pos.connected());
    for (int i = 0; i < n; ++i) {
        const std::string id = sell_milk(pos);
        REQUIRE_FALSE(id.empty());
        sold.insert(id);
    }
}

bool Sales::all_arrived() const {
    return hq.query("SELECT count(*) FROM events") == till.last_sequence() &&
           hq.query("SELECT count(*) FROM sales") == static_cast<std::int64_t>(sold.size());
}

}  // namespace loyalty::test
