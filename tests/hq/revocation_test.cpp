// Revocation and key custody through real processes (loyalty-hq serve, loyaltyd) over mutual TLS
// on loopback, with the CA of firmware-config/pki/pki.sh: head office's revoked certificate
// refused by a till that learnt of it through sync (and still after a restart, and from an
// impostor holding the old key); a till revoked while connected cut off within seconds; head
// office's expired list failing closed, warned of a week before, replaced without a restart; a
// till whose installed list expired fetching a current one; private keys others can read refused.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/support/fleet.hpp"

using loyalty::test::certificate_serial;
using loyalty::test::eventually;
using loyalty::test::HeadOffice;
using loyalty::test::pki;
using loyalty::test::pki_output;
using loyalty::test::Sales;
using loyalty::test::TempDir;
using loyalty::test::Till;
using namespace std::chrono_literals;

TEST_CASE("a till learns through sync that head office's old certificate is revoked and refuses an impostor with it") {
    TempDir dir;
    HeadOffice hq(dir);
    Till till(dir, "S0001", "S0001-T01", hq.port);
    std::filesystem::copy_file(dir / "ca/crl.pem", till.home / "installed-crl.pem");
    till.install_crl(till.home / "installed-crl.pem");
    hq.start();
    till.start();
    Sales sales(hq, till);
    sales.sell(2);
    REQUIRE(eventually([&] { return sales.all_arrived(); }, 20s));

    // Head office's key is stolen: it gets a new certificate and the old one is revoked by serial.
    const std::string ca = (dir / "ca").string();
    for (const char* file : {"server.pem", "server.key", "crl.pem"})
        std::filesystem::copy_file(dir / "ca" / file, dir / "ca" / (std::string("old-") + file));
    const std::string old_serial = certificate_serial(dir / "ca/old-server.pem");
    pki("server '" + ca + "' 127.0.0.1");
    const auto till_before = till.log().size();
    const auto hq_before = hq.log().size();
    pki("revoke-serial '" + ca + "' " + old_serial);

    // Head office takes the new list (and certificate) within seconds and hands the list to the
    // till, which finds the link it is on made with the revoked certificate and drops it.
    CHECK(hq.wait_for_log("reloaded (number", hq_before, 10s));
    CHECK(till.wait_for_log("head office's certificate is revoked", till_before, 10s));
    CHECK(till.log().find("serial " + old_serial, till_before) != std::string::npos);
    CHECK(till.log().find("from head office now in force", till_before) != std::string::npos);
    // Back over the new certificate: sales flow again.
    sales.sell(1);
    CHECK(eventually([&] { return sales.all_arrived(); }, 60s));

    // An impostor with the stolen key and the list from before the revocation.
    hq.process->stop(SIGTERM);
    HeadOffice impostor(dir, "impostor");
    impostor.port = hq.port;
    impostor.cert_file = "ca/old-server.pem";
    impostor.key_file = "ca/old-server.key";
    impostor.crl_file = "ca/old-crl.pem";
    impostor.write_config();
    impostor.start();
    // The till restarted meanwhile: what it learnt was kept.
    till.process->stop(SIGKILL);
    const auto restarted = till.log().size();
    till.start();
    sales.sell(3);
    REQUIRE(till.wait_for_log("certificate revoked", restarted, 30s));
    const std::string refusal = till.log().substr(restarted);
    INFO(refusal);
    CHECK_THAT(refusal, Catch::Contains("TLS handshake with 127.0.0.1 failed") &&
                            Catch::Contains("head office's certificate refused: certificate revoked") &&
                            Catch::Contains("serial " + old_serial));
    CHECK(impostor.log().find("S0001-T01 of store S0001") == std::string::npos);
    CHECK(impostor.query("SELECT count(*) FROM events") == 0);
}

TEST_CASE("head office cuts off a till revoked while connected within seconds, with every certificate it had") {
    TempDir dir;
    HeadOffice hq(dir);
    Till till(dir, "S0001", "S0001-T01", hq.port);
    hq.start();
    till.start();
    Sales sales(hq, till);
    sales.sell(1);
    REQUIRE(eventually([&] { return sales.all_arrived(); }, 20s));
    const std::string ca = (dir / "ca").string();
    const std::string serial = certificate_serial(dir / "ca/S0001-T01.pem");
    // The terminal's certificate was renewed since (the till still runs with the first one).
    std::filesystem::copy_file(dir / "ca/S0001-T01.pem", dir / "ca/S0001-T01-first.pem");
    pki("terminal '" + ca + "' S0001 S0001-T01");
    const std::string renewed = certificate_serial(dir / "ca/S0001-T01.pem");
    REQUIRE(renewed != serial);

    const auto hq_before = hq.log().size();
    const auto till_before = till.log().size();
    pki("revoke '" + ca + "' S0001-T01");
    // Both certificates of the terminal are on the list.
    const std::string listed = pki_output("list '" + ca + "'");
    CHECK_THAT(listed, Catch::Contains("revoked  " + serial) && Catch::Contains("revoked  " + renewed));
    // The open link is closed at once, the reason logged on both sides.
    REQUIRE(hq.wait_for_log("certificate serial " + serial + " is revoked by the new revocation list; link closed",
                            hq_before, 10s));
    CHECK(hq.log().find("S0001-T01 (127.0.0.1", hq_before) != std::string::npos);
    CHECK(till.wait_for_log("head office refused: certificate serial " + serial + " is revoked", till_before, 10s));
    // It stays out: its next sale is kept at the till, never reaches head office, and every
    // attempt is refused at the handshake with the certificate named.
    sales.sell(1);
    CHECK(hq.wait_for_log("refused at the TLS handshake", hq_before, 30s));
    CHECK(hq.log().find("certificate revoked", hq_before) != std::string::npos);
    CHECK(hq.log().find("presented subject CN=S0001-T01,OU=S0001", hq_before) != std::string::npos);
    std::this_thread::sleep_for(2s);
    CHECK(sales.sold.size() == 2);
    CHECK(hq.sale_ids().size() == 1);
}

TEST_CASE(
    "an expiring revocation list is warned of a week ahead, an expired one fails closed until a new one is "
    "published") {
    TempDir dir;
    HeadOffice hq(dir);
    const std::string ca = (dir / "ca").string();
    pki("--crl-days 3 crl '" + ca + "'");
    hq.start();
    CHECK(hq.wait_for_log(" expires at ", 0, 10s));
    CHECK_THAT(hq.log(), Catch::Contains("the revocation list " + (dir / "ca/crl.pem").string() + " expires at") &&
                             Catch::Contains("pki.sh crl"));
    const std::string fleet = hq.run({"terminals"});
    CHECK_THAT(fleet, Catch::Contains("revocation list " + (dir / "ca/crl.pem").string() + ": number") &&
                          Catch::Contains("WARNING: the revocation list") && Catch::Contains("(in 71 h)"));
    Till till(dir, "S0001", "S0001-T01", hq.port);
    till.start();
    Sales sales(hq, till);
    sales.sell(1);
    REQUIRE(eventually([&] { return sales.all_arrived(); }, 20s));

    // The list expires (no one published a new one in time): every terminal is refused.
    const auto before = hq.log().size();
    pki("--crl-expired crl '" + ca + "'");
    CHECK(hq.wait_for_log("expired at", before, 10s));
    CHECK(hq.log().find("every terminal is refused", before) != std::string::npos);
    CHECK_THAT(hq.run({"terminals"}), Catch::Contains("WARNING: the revocation list") && Catch::Contains("expired at"));
    sales.sell(1);
    CHECK(hq.wait_for_log("CRL has expired", before, 30s));
    CHECK(hq.query("SELECT count(*) FROM sales") == 1);

    // A new list: the till is let in again without a restart, and its sale arrives.
    pki("crl '" + ca + "'");
    CHECK(eventually([&] { return sales.all_arrived(); }, 90s));
    CHECK(hq.run({"terminals"}).find("WARNING") == std::string::npos);
}

TEST_CASE("a till whose installed revocation list expired while it was offline gets a current one from head office") {
    TempDir dir;
    HeadOffice hq(dir);
    const std::string ca = (dir / "ca").string();
    pki("--crl-expired crl '" + ca + "'");
    Till till(dir, "S0001", "S0001-T01", hq.port);
    std::filesystem::copy_file(dir / "ca/crl.pem", till.home / "installed-crl.pem");
    till.install_crl(till.home / "installed-crl.pem");
    pki("crl '" + ca + "'");
    hq.start();
    till.start();
    Sales sales(hq, till);
    sales.sell(2);
    CHECK(eventually([&] { return sales.all_arrived(); }, 30s));
    CHECK(till.log().find("from head office now in force") != std::string::npos);
    CHECK(std::filesystem::exists(till.home / "data/revocation-list.crl"));
}

TEST_CASE("a private key file others can read is refused at start, naming the file and the fix") {
    TempDir dir;
    HeadOffice hq(dir);
    const auto key = dir / "ca/server.key";
    std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                          std::filesystem::perms::others_read);
    const auto refused = loyalty::test::run_process({LOYALTY_HQ_PATH, "--config", hq.config.string(), "serve"});
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.output, Catch::Contains(key.string() + ": private key file is accessible by group or others "
                                                              "(mode 0604)") &&
                                   Catch::Contains("chmod 600 " + key.string()));

    // A till sells on (its key is for the link only) and says why it does not sync.
    Till till(dir, "S0001", "S0001-T01", hq.port);
    ::chmod((dir / "ca/S0001-T01.key").c_str(), 0640);
    till.start();
    CHECK(till.wait_for_log("S0001-T01.key: private key file is accessible by group or others (mode 0640)", 0, 10s));
}
