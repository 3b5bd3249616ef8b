// Sync end to end with real processes: loyalty-hq serve and loyaltyd over mutual TLS on
// loopback, with a CA made by firmware-config/pki/pki.sh. Head office SIGKILLed mid-batch,
// loyaltyd SIGKILLed right after a sale, a TCP proxy in this process that drops, stalls and
// truncates the connection: every completed sale reaches head office exactly once; head office's
// database restored from a backup gets the sales it had acknowledged since again. Refusals by
// the real server, each logged with its reason while it keeps serving a connected till.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "common/sqlite/database.hpp"
#include "sync/wire.hpp"
#include "tests/support/fleet.hpp"

using loyalty::test::eventually;
using loyalty::test::HeadOffice;
using loyalty::test::pki;
using loyalty::test::Sales;
using loyalty::test::sell_milk;
using loyalty::test::TempDir;
using loyalty::test::Till;
using loyalty::test::UnixClient;
using namespace std::chrono_literals;

namespace {

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// A TCP proxy between the till and head office that, while faults are on, drops connections,
// stalls them for up to two seconds and truncates them in the middle of a write.
class FaultProxy {
public:
    explicit FaultProxy(std::uint16_t upstream) : upstream_(upstream) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(listener_, 16);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~FaultProxy() {
        stop_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        acceptor_.join();
        std::lock_guard lock(mutex_);
        for (auto& t : pipes_)
            t.join();
    }
    std::uint16_t port() const { return port_; }
    void faults(bool on) { faults_ = on; }
    int drops() const { return drops_; }
    int stalls() const { return stalls_; }
    int truncations() const { return truncations_; }

private:
    void accept_loop() {
        while (!stop_) {
            const int client = ::accept(listener_, nullptr, nullptr);
            if (client < 0) return;
            const int server = connect_to(upstream_);
            if (server < 0) {
                ::close(client);
                continue;
            }
            std::lock_guard lock(mutex_);
            pipes_.emplace_back([this, client, server] { pipe(client, server); });
        }
    }

    void pipe(int a, int b) {
        std::mt19937 random(static_cast<unsigned>(a * 7919 + b));
        pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
        char buffer[16384];
        while (!stop_) {
            if (::poll(fds, 2, 100) <= 0) continue;
            for (int i = 0; i < 2; ++i) {
                if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
                const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
                if (n <= 0) return finish(a, b);
                std::size_t forward = static_cast<std::size_t>(n);
                if (faults_) {
                    const int dice = static_cast<int>(random() % 100);
                    if (dice < 4) {
                        ++drops_;
                        return finish(a, b);
                    }
                    if (dice < 8) {
                        ++stalls_;
                        std::this_thread::sleep_for(std::chrono::milliseconds(200 + random() % 1800));
                    } else if (dice < 11 && n > 1) {
                        ++truncations_;
                        forward = static_cast<std::size_t>(n) / 2;
                        (void)!::write(fds[1 - i].fd, buffer, forward);
                        return finish(a, b);
                    }
                }
                if (::write(fds[1 - i].fd, buffer, forward) != static_cast<ssize_t>(forward)) return finish(a, b);
            }
        }
        finish(a, b);
    }

    static void finish(int a, int b) {
        ::close(a);
        ::close(b);
    }

    std::uint16_t upstream_;
    std::uint16_t port_ = 0;
    int listener_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<bool> faults_{false};
    std::atomic<int> drops_{0};
    std::atomic<int> stalls_{0};
    std::atomic<int> truncations_{0};
    std::mutex mutex_;
    std::vector<std::thread> pipes_;
    std::thread acceptor_;
};

}  // namespace

TEST_CASE(
    "every completed sale reaches head office exactly once: head office SIGKILLed mid-batch, loyaltyd "
    "SIGKILLed after a sale, a network that drops, stalls and truncates") {
    TempDir dir;
    HeadOffice hq(dir);
    FaultProxy proxy(hq.port);
    Till till(dir, "S0001", "S0001-T01", proxy.port());
    hq.start();
    till.start();
    Sales sales(hq, till);
    auto sell_some = [&](int n) { sales.sell(n); };
    auto all_arrived = [&] { return sales.all_arrived(); };
    const std::set<std::string>& sold = sales.sold;

    // Online: the sales arrive.
    sell_some(20);
    REQUIRE(eventually(all_arrived, 20s));

    // Head office down while the till sells on; back, and killed again while the backlog drains.
    hq.process->stop(SIGKILL);
    sell_some(1200);  // three batches of up to 500: the kill below lands while they are in flight
    const auto before = hq.log().size();
    hq.start();
    REQUIRE(hq.wait_for_log("S0001-T01", before));
    hq.process->stop(SIGKILL);  // as soon as the till is back: its batches are on the wire
    const auto held_after_kill = hq.query("SELECT count(*) FROM events");
    INFO("events held when head office was killed: " << held_after_kill);
    CHECK(held_after_kill < till.last_sequence());  // it really died with a backlog in flight
    hq.start();

    // The till killed right after a sale was confirmed; restarted, it sends what it had.
    sell_some(1);
    till.process->stop(SIGKILL);
    till.start();
    sell_some(5);

    // A bad network for a while.
    proxy.faults(true);
    const auto faulty_until = std::chrono::steady_clock::now() + 6s;
    while (std::chrono::steady_clock::now() < faulty_until)
        sell_some(10);
    proxy.faults(false);
    INFO("proxy: " << proxy.drops() << " drops, " << proxy.stalls() << " stalls, " << proxy.truncations()
                   << " truncations");
    CHECK(proxy.drops() + proxy.stalls() + proxy.truncations() > 3);

    REQUIRE(eventually(all_arrived, 90s));
    CHECK(hq.sale_ids() == sold);
    CHECK(hq.query("SELECT count(DISTINCT sale_id) FROM sales") == static_cast<std::int64_t>(sold.size()));
    CHECK(hq.query("SELECT max(sequence) FROM events") == till.last_sequence());
    CHECK(hq.query("SELECT count(*) FROM conflicts") == 0);
    CHECK(hq.query("SELECT stored_through FROM terminals WHERE terminal_id = 'S0001-T01'") == till.last_sequence());
    const std::string terminals = hq.run({"terminals"});
    CHECK_THAT(terminals, Catch::Contains("S0001-T01") && Catch::Contains(std::to_string(till.last_sequence())));
}

TEST_CASE("head office restored from a backup gets the sales acknowledged since the backup again from the till") {
    TempDir dir;
    HeadOffice hq(dir);
    Till till(dir, "S0001", "S0001-T01", hq.port);
    hq.start();
    till.start();
    Sales sales(hq, till);
    auto sell_some = [&](int n) { sales.sell(n); };
    auto all_arrived = [&] { return sales.all_arrived(); };
    const std::set<std::string>& sold = sales.sold;
    sell_some(10);
    REQUIRE(eventually(all_arrived, 20s));

    // An online backup while serving (VACUUM INTO: a consistent copy, like sqlite3's .backup).
    const auto backup = dir / "hq-backup.db";
    {
        loyalty::sqlite::Database db(hq.database, loyalty::sqlite::OpenMode::read_write);
        db.exec("PRAGMA busy_timeout = 5000");
        db.exec("VACUUM INTO '" + backup.string() + "'");
    }
    sell_some(15);
    REQUIRE(eventually(all_arrived, 20s));
    REQUIRE(eventually([&] { return till.acked_through() == till.last_sequence(); }, 20s));

    // Head office's disk lost: the backup goes back in place.
    hq.process->stop(SIGTERM);
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(hq.database.string() + suffix);
    std::filesystem::copy_file(backup, hq.database);
    REQUIRE(hq.query("SELECT count(*) FROM sales") == 10);
    hq.start();

    REQUIRE(eventually(all_arrived, 30s));
    CHECK(hq.sale_ids() == sold);
    CHECK(hq.query("SELECT count(*) FROM conflicts") == 0);
    CHECK(hq.query("SELECT stored_through FROM terminals WHERE terminal_id = 'S0001-T01'") == till.last_sequence());
    CHECK(till.acked_through() == till.last_sequence());
    CHECK_THAT(loyalty::test::read_file(till.home / "loyaltyd.log"), Catch::Contains("restored from a backup?"));
    CHECK_THAT(hq.log(), Catch::Contains("S0001-T01 was acknowledged through 25 but head office holds through 10"));
}

TEST_CASE("the real head office refuses bad peers with a logged reason and keeps serving a connected till") {
    TempDir dir;
    HeadOffice hq(dir);
    Till till(dir, "S0001", "S0001-T01", hq.port);
    hq.start();
    till.start();
    REQUIRE(hq.wait_for_log("S0001-T01 (127.0.0.1"));
    const std::string ca = (dir / "ca").string();
    pki("terminal '" + ca + "' S0001 S0001-T02");
    pki("terminal '" + ca + "' S0001 S0001-T08");
    pki("revoke '" + ca + "' S0001-T08");
    pki("--expired terminal '" + ca + "' S0001 S0001-T09");
    pki("init '" + (dir / "other").string() + "'");
    pki("terminal '" + (dir / "other").string() + "' S0001 S0001-T02");

    // Sends `frames` after a TLS handshake as `who` (a certificate name in `from`, or none).
    auto connect_as = [&](const std::string& from, const std::string& who, const std::string& frames) {
        const auto input = dir / ("frames-" + who + ".bin");
        loyalty::test::write_file(input, frames);
        std::string command = "timeout 15 openssl s_client -quiet -connect 127.0.0.1:" + std::to_string(hq.port) +
                              " -CAfile '" + ca + "/ca.pem'";
        if (!who.empty()) command += " -cert '" + from + "/" + who + ".pem' -key '" + from + "/" + who + ".key'";
        command += " < '" + input.string() + "' > /dev/null 2>&1";
        return std::system(command.c_str());
    };
    auto hello = [](const std::string& terminal, std::uint32_t version) {
        loyalty::v1::Envelope e;
        e.mutable_hello()->add_protocol_versions(version);
        e.mutable_hello()->mutable_terminal()->set_store_id("S0001");
        e.mutable_hello()->mutable_terminal()->set_terminal_id(terminal);
        e.mutable_hello()->set_database_id("test");
        return loyalty::sync::encode_frame(e);
    };
    std::string other_terminals_events = hello("S0001-T02", loyalty::sync::k_protocol_version);
    {
        loyalty::v1::Envelope batch;
        auto* event = batch.mutable_batch()->add_events();
        event->mutable_header()->set_terminal_id("S0001-T01");
        event->mutable_header()->set_store_id("S0001");
        event->mutable_header()->set_sequence(1);
        event->mutable_purchase()->set_sale_id("FORGED-1");
        other_terminals_events += loyalty::sync::encode_frame(batch);
    }
    const std::string huge_header = hello("S0001-T02", loyalty::sync::k_protocol_version) +
                                    std::string("\x05\xf5\xe1\x00", 4) + std::string(64, 'x');

    struct Case {
        std::string name;
        std::string from;
        std::string who;
        std::string frames;
        std::string logged;
    };
    const std::vector<Case> cases{
        {"no client certificate", ca, "", "", "refused at the TLS handshake"},
        {"another CA", (dir / "other").string(), "S0001-T02", "", "unable to get local issuer certificate"},
        {"expired", ca, "S0001-T09", "", "certificate has expired"},
        {"revoked", ca, "S0001-T08", "", "certificate revoked"},
        {"unknown protocol version", ca, "S0001-T02", hello("S0001-T02", 99), "protocol version(s) 99 offered"},
        {"another terminal's events", ca, "S0001-T02", other_terminals_events, "claims terminal S0001-T01"},
        {"a 100 MB frame header", ca, "S0001-T02", huge_header, "a frame of 100000000 bytes announced"},
        {"garbage after the handshake", ca, "S0001-T02", std::string(3, '\0') + "\x10" + std::string(16, '\xff'),
         "a frame that is not a sync envelope"},
    };
    // Authenticated and silent: logged when the hello deadline (10 s) closes it. Runs beside the
    // other cases.
    const auto silent_from = hq.log().size();
    std::thread silent([&] {
        const std::string command =
            "sleep 12 | timeout 15 openssl s_client -quiet -connect 127.0.0.1:" + std::to_string(hq.port) +
            " -CAfile '" + ca + "/ca.pem' -cert '" + ca + "/S0001-T02.pem' -key '" + ca +
            "/S0001-T02.key' > /dev/null 2>&1";
        (void)!std::system(command.c_str());
    });
    for (const auto& c : cases) {
        INFO(c.name);
        const auto before = hq.log().size();
        connect_as(c.from, c.who, c.frames);
        CHECK(hq.wait_for_log(c.logged, before, 10s));
        CHECK(hq.log().find("refused", before) != std::string::npos);
        INFO(hq.log().substr(before));
        // Who it was: the certificate's subject and serial, refused at the handshake or after.
        if (c.who.empty()) {
            CHECK(hq.log().find("no certificate presented", before) != std::string::npos);
        } else {
            const std::string serial = loyalty::test::certificate_serial(c.from + "/" + c.who + ".pem");
            CHECK(hq.log().find("serial " + serial, before) != std::string::npos);
            // Refused at the handshake: the subject as presented; after it: the terminal it names.
            CHECK(hq.log().find(c.frames.empty() ? "presented subject CN=" + c.who + ",OU=S0001"
                                                 : "authenticated as terminal " + c.who + " of store S0001",
                                before) != std::string::npos);
        }
        // Still serving: the connected till's next sale arrives.
        UnixClient pos(till.socket());
        const std::string id = sell_milk(pos);
        REQUIRE_FALSE(id.empty());
        CHECK(eventually([&] { return hq.sale_ids().contains(id); }, 10s));
    }
    silent.join();
    CHECK(hq.wait_for_log("authenticated (certificate serial " +
                              loyalty::test::certificate_serial(dir / "ca/S0001-T02.pem") +
                              ") but sent no hello within 10000 ms of connecting; closed",
                          silent_from, 5s));
    // The till's own connection was logged when accepted: terminal, serial, endpoint.
    CHECK_THAT(hq.log(), Catch::Contains("authenticated as terminal S0001-T01 of store S0001, certificate serial " +
                                         loyalty::test::certificate_serial(dir / "ca/S0001-T01.pem")));
    CHECK(hq.query("SELECT count(*) FROM sales WHERE sale_id = 'FORGED-1'") == 0);
}
