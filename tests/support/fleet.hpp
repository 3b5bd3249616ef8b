// A small fleet of real processes for integration tests: head office (`loyalty-hq serve`) with a
// CA made by firmware-config/pki/pki.sh, tills (`loyaltyd`) with a FIFO card reader and their own
// certificates, all on loopback inside one temporary folder; a POS client that sells a basket.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

namespace loyalty::test {

// Runs firmware-config/pki/pki.sh with `args` (a shell word list); REQUIREs success.
void pki(const std::string& args);
// Runs pki.sh and returns its output, whatever its exit status.
std::string pki_output(const std::string& args);
// A port nobody listens on right now.
std::uint16_t free_port();
// True once `done` holds, polled every 50 ms; false after `timeout`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);
// A certificate's serial in hexadecimal, as pki.sh list shows it.
std::string certificate_serial(const std::filesystem::path& pem);

// Head office and its CA (dir/ca, made on first use) inside one temporary folder. `name` keeps two
// head offices in one folder apart (their config, database and log).
struct HeadOffice {
    TempDir& dir;
    std::string name;
    std::uint16_t port = free_port();
    std::filesystem::path config;
    std::filesystem::path database;
    // The TLS files named in the config, relative to dir; write_config() after changing them.
    std::string cert_file = "ca/server.pem";
    std::string key_file = "ca/server.key";
    std::string crl_file = "ca/crl.pem";
    std::unique_ptr<ChildProcess> process;

    explicit HeadOffice(TempDir& d, std::string name = "hq");
    void write_config();
    void start();
    std::filesystem::path log_file() const { return dir / (name + ".log"); }
    bool wait_for_log(const std::string& text, std::size_t from = 0,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
    std::string log() const;
    std::int64_t query(const std::string& sql) const;
    std::set<std::string> sale_ids() const;
    // loyalty-hq --config CONFIG ARGS… to completion; its output.
    std::string run(const std::vector<std::string>& args) const;
};

// One till with a FIFO reader, its own certificate (issued by dir/ca), pointed at `port`.
struct Till {
    TempDir& dir;
    std::string terminal_id;
    std::filesystem::path home;
    std::filesystem::path config;
    std::unique_ptr<ChildProcess> process;

    Till(TempDir& d, const std::string& store, const std::string& terminal, std::uint16_t port);
    // Names `crl` in the config as the revocation list installed with the till.
    void install_crl(const std::filesystem::path& crl);
    void start();
    std::filesystem::path log_file() const { return home / "loyaltyd.log"; }
    std::string log() const;
    bool wait_for_log(const std::string& text, std::size_t from = 0,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
    std::filesystem::path socket() const { return home / "pos-json.sock"; }
    std::filesystem::path database() const { return home / "data" / "terminal.db"; }
    std::int64_t last_sequence() const;
    // The highest sequence head office acknowledged (the outbox holds every event of the test).
    std::int64_t acked_through() const;
};

// Enrols a shopper at the till behind `socket` (POS JSON API) with her card, `contact` (a JSON
// object) and the programme terms accepted; REQUIREs the new customer id, which it returns.
std::string enroll(const std::filesystem::path& socket, const std::string& card, const std::string& contact);

// One basket of milk paid in cash; the sale id from the reply (empty if the sale did not complete).
std::string sell_milk(UnixClient& pos);

// The sales a test made at one till, and whether head office holds all of them.
struct Sales {
    const HeadOffice& hq;
    const Till& till;
    std::set<std::string> sold;

    Sales(const HeadOffice& h, const Till& t) : hq(h), till(t) {}
    void sell(int n);
    bool all_arrived() const;
};

}  // namespace loyalty::test
