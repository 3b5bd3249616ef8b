// SyncClient against SyncServer over real TLS 1.3 on loopback, with certificates made by
// firmware-config/pki/pki.sh: the happy path (a backlog drained in order, each event stored once,
// the catalog delta applied) and the refusals (revoked, wrong CA, expired, a hello naming another
// terminal, a server certificate for another host, a certificate revoked during its handshake),
// and the revocation lists a till takes or refuses.
#include "sync/link.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>

#include "sync/client.hpp"
#include "sync/revocation_list.hpp"
#include "sync/server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace std::chrono_literals;

namespace {

void pki(const std::string& args) {
    const std::string command =
        "bash '" + std::string(LOYALTY_SOURCE_DIR) + "/firmware-config/pki/pki.sh' " + args + " >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
}

struct MemoryStore : sync::ClientStore {
    std::vector<v1::Event> events;
    std::uint64_t acked = 0;
    std::uint64_t catalog = 0;
    std::vector<v1::CatalogDelta> applied;

    std::uint64_t acked_through() override { return acked; }
    std::uint64_t last_sequence() override { return events.empty() ? 0 : events.back().header().sequence(); }
    std::string database_id() override { return "memory"; }
    std::string id_tag() override { return "MEM" + std::to_string(restores); }
    std::vector<v1::Event> events_after(std::uint64_t after, std::size_t limit) override {
        std::vector<v1::Event> out;
        for (const auto& e : events) {
            if (e.header().sequence() > std::max(after, acked) && out.size() < limit) out.push_back(e);
        }
        return out;
    }
    void mark_acked(std::uint64_t through) override { acked = std::max(acked, through); }
    std::size_t reopen_after(std::uint64_t after) override {
        const std::size_t reopened = acked > after ? acked - after : 0;
        acked = std::min(acked, after);
        return reopened;
    }
    void restored_from_backup() override { ++restores; }
    int restores = 0;
    std::uint64_t catalog_version() override { return catalog; }
    void apply_catalog(const std::vector<v1::CatalogDelta>& parts) override {
        applied = parts;
        catalog = parts.back().to_version();
    }
    void add(std::uint64_t sequence, const std::string& terminal = "S0042-T03") {
        v1::Event& e = events.emplace_back();
        e.mutable_header()->set_terminal_id(terminal);
        e.mutable_header()->set_store_id("S0042");
        e.mutable_header()->set_sequence(sequence);
        e.mutable_purchase()->set_sale_id(terminal + "-" + std::to_string(sequence));
    }
};

struct MemoryHandler : sync::ServerHandler {
    std::map<std::string, std::vector<std::uint64_t>> stored;
    std::map<std::string, std::uint64_t> through;
    int hellos = 0;
    bool restored = false;  // answer the next hellos with database_restored

    void hello(const sync::PeerIdentity& peer, const v1::Hello&,
               std::function<void(sync::HelloOutcome)> done) override {
        ++hellos;
        done({through[peer.terminal_id], restored, {}});
    }
    void store(const sync::PeerIdentity& peer, const v1::EventBatch& batch,
               std::function<void(sync::StoreOutcome)> done) override {
        auto& held = through[peer.terminal_id];
        for (const auto& e : batch.events()) {
            if (e.header().sequence() <= held) continue;  // a replay is stored once
            stored[peer.terminal_id].push_back(e.header().sequence());
            held = e.header().sequence();
        }
        done({held, {}});
    }
    std::uint64_t catalog_version() override { return 3; }
    void catalog_since(std::uint64_t have, std::function<void(sync::CatalogOutcome)> done) override {
        auto parts = std::make_shared<std::vector<v1::CatalogDelta>>();
        v1::CatalogDelta& delta = parts->emplace_back();
        delta.set_from_version(have);
        delta.set_to_version(3);
        delta.set_full_resync(have == 0);
        delta.add_offers()->set_offer_id("WELCOME");
        done({parts, {}});
    }
    void disconnected(const sync::PeerIdentity&) override {}
};

struct Fixture {
    test::TempDir dir;
    boost::asio::io_context io;
    MemoryHandler handler;
    std::unique_ptr<sync::SyncServer> server;

    Fixture() {
        pki("init '" + (dir / "ca").string() + "'");
        pki("server '" + (dir / "ca").string() + "' localhost 127.0.0.1");
        pki("terminal '" + (dir / "ca").string() + "' S0042 S0042-T03");
        sync::ServerOptions options;
        options.listen_address = "127.0.0.1";
        options.port = 0;
        options.tls = {dir / "ca/ca.pem", dir / "ca/server.pem", dir / "ca/server.key", dir / "ca/crl.pem"};
        server = std::make_unique<sync::SyncServer>(io, options, handler);
        server->start();
    }

    sync::ClientOptions client(const std::string& ca_dir, const std::string& name,
                               const std::string& terminal = "S0042-T03") {
        sync::ClientOptions o;
        o.host = "localhost";
        o.port = server->port();
        o.tls = {dir / "ca/ca.pem", dir / ca_dir / (name + ".pem"), dir / ca_dir / (name + ".key"), {}};
        o.store_id = "S0042";
        o.terminal_id = terminal;
        o.software_version = "test";
        o.batch_events = 100;
        o.step_timeout = 2s;
        o.backoff_min = 100ms;
        o.backoff_max = 400ms;
        return o;
    }

    template <typename Predicate>
    bool run_until(Predicate done, std::chrono::milliseconds limit = 10s) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < end)
            io.run_for(20ms);
        return done();
    }
};

}  // namespace

TEST_CASE("a backlog drains to head office in order, each event once, and the catalog comes down") {
    Fixture f;
    MemoryStore store;
    for (std::uint64_t s = 1; s <= 1200; ++s)
        store.add(s);
    sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), store);
    client.start();
    REQUIRE(f.run_until([&] { return store.acked == 1200 && store.catalog == 3; }));
    const auto& got = f.handler.stored["S0042-T03"];
    REQUIRE(got.size() == 1200);
    for (std::size_t i = 0; i < got.size(); ++i)
        CHECK(got[i] == i + 1);
    CHECK(client.status().connected);
    REQUIRE(store.applied.size() == 1);
    CHECK(store.applied[0].full_resync());
    CHECK(store.applied[0].offers(0).offer_id() == "WELCOME");

    // A sale recorded while connected goes out at once.
    store.add(1201);
    client.wake();
    REQUIRE(f.run_until([&] { return store.acked == 1201; }, 2s));
    CHECK(f.handler.stored["S0042-T03"].back() == 1201);
    client.stop();
}

TEST_CASE("head office restored from a backup gets the events it had acknowledged since, again, in order") {
    Fixture f;
    MemoryStore store;
    for (std::uint64_t s = 1; s <= 300; ++s)
        store.add(s);
    {
        sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), store);
        client.start();
        REQUIRE(f.run_until([&] { return store.acked == 300; }));
        client.stop();
        f.io.run_for(50ms);
    }
    // Head office's database back to a copy holding the first 100.
    auto& got = f.handler.stored["S0042-T03"];
    got.resize(100);
    f.handler.through["S0042-T03"] = 100;

    sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), store);
    client.start();
    REQUIRE(f.run_until([&] { return got.size() == 300 && store.acked == 300; }));
    for (std::size_t i = 0; i < got.size(); ++i)
        CHECK(got[i] == i + 1);
    CHECK(client.status().acked_through == 300);
    client.stop();
}

TEST_CASE("a terminal told its database was restored from a backup renews its id tag and sends what it holds") {
    Fixture f;
    MemoryStore store;
    for (std::uint64_t s = 1; s <= 8; ++s)
        store.add(s);
    store.acked = 5;
    f.handler.restored = true;
    f.handler.through["S0042-T03"] = 5;  // head office counts again from what the terminal saw acknowledged
    sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), store);
    client.start();
    REQUIRE(f.run_until([&] { return store.acked == 8; }));
    CHECK(store.restores == 1);
    CHECK(f.handler.stored["S0042-T03"] == std::vector<std::uint64_t>{6, 7, 8});
    client.stop();
}

TEST_CASE("refused: a revoked certificate, another CA, an expired certificate, a hello naming another terminal") {
    Fixture f;
    const std::string ca = (f.dir / "ca").string();
    pki("terminal '" + ca + "' S0042 S0042-T04");
    pki("revoke '" + ca + "' S0042-T04");
    pki("--expired terminal '" + ca + "' S0042 S0042-T09");
    pki("init '" + (f.dir / "other").string() + "'");
    pki("terminal '" + (f.dir / "other").string() + "' S0042 S0042-T03");

    struct Case {
        std::string ca_dir, name, terminal, reason;  // reason: what the terminal is told
    };
    const std::vector<Case> cases{{"ca", "S0042-T04", "S0042-T04", "certificate revoked"},
                                  {"other", "S0042-T03", "S0042-T03", "unknown ca"},
                                  {"ca", "S0042-T09", "S0042-T09", "certificate expired"},
                                  {"ca", "S0042-T03", "S0042-T05", "hello names terminal S0042-T05"}};
    for (const Case& c : cases) {
        INFO(c.reason);
        MemoryStore store;
        store.add(1, c.terminal);
        sync::SyncClient client(f.io, f.client(c.ca_dir, c.name, c.terminal), store);
        client.start();
        f.run_until([&] { return !client.status().last_error.empty(); }, 5s);
        CHECK_THAT(client.status().last_error, Catch::Contains(c.reason));
        CHECK_FALSE(client.status().connected);
        CHECK(store.acked == 0);
        CHECK(f.handler.stored.empty());
        client.stop();
    }
    CHECK(f.handler.hellos == 0);

    // The server kept serving: a good terminal still gets through.
    MemoryStore good;
    good.add(1);
    sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), good);
    client.start();
    CHECK(f.run_until([&] { return good.acked == 1; }));
    client.stop();
}

TEST_CASE("the terminal refuses a head office whose certificate names another host") {
    Fixture f;
    pki("server '" + (f.dir / "ca").string() + "' hq.example-grocer.internal");  // replaces server.pem
    f.server.reset();
    sync::ServerOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.tls = {f.dir / "ca/ca.pem", f.dir / "ca/server.pem", f.dir / "ca/server.key", f.dir / "ca/crl.pem"};
    f.server = std::make_unique<sync::SyncServer>(f.io, options, f.handler);
    f.server->start();
    MemoryStore store;
    store.add(1);
    sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), store);
    client.start();
    f.run_until([&] { return !client.status().last_error.empty(); }, 5s);
    CHECK_THAT(client.status().last_error, Catch::Contains("TLS handshake") &&
                                               Catch::Contains("the certificate does not name localhost") &&
                                               Catch::Contains("subject CN=hq.example-grocer.internal"));
    CHECK(f.handler.hellos == 0);
    client.stop();
}

TEST_CASE("a local store error ends the link, not sync: the next link delivers") {
    Fixture f;
    struct FlakyStore : MemoryStore {
        int failures_left = 1;
        std::vector<v1::Event> events_after(std::uint64_t after, std::size_t limit) override {
            if (failures_left-- > 0) throw std::runtime_error("database is locked");
            return MemoryStore::events_after(after, limit);
        }
    } store;
    for (std::uint64_t s = 1; s <= 10; ++s)
        store.add(s);
    sync::SyncClient client(f.io, f.client("ca", "S0042-T03"), store);
    client.start();
    REQUIRE(f.run_until([&] { return store.acked == 10; }));
    CHECK(f.handler.hellos == 2);  // the first link ended with the error, the second delivered
    CHECK(f.handler.stored["S0042-T03"].size() == 10);
    client.stop();
}

TEST_CASE("a revocation list is taken only from the chain CA, only when its number is higher") {
    test::TempDir dir;
    const std::string ca = (dir / "ca").string();
    pki("init '" + ca + "'");
    pki("terminal '" + ca + "' S0042 S0042-T03");
    const auto first = sync::read_checked_revocation_list(dir / "ca/crl.pem", dir / "ca/ca.pem");
    pki("revoke '" + ca + "' S0042-T03");
    const auto second = sync::read_checked_revocation_list(dir / "ca/crl.pem", dir / "ca/ca.pem");
    pki("init '" + (dir / "other").string() + "'");
    pki("crl '" + (dir / "other").string() + "'");
    const auto foreign = sync::RevocationList::read_file(dir / "other/crl.pem");
    const auto authority = sync::read_certificate(dir / "ca/ca.pem");
    const auto terminal = sync::read_certificate(dir / "ca/S0042-T03.pem");

    CHECK(second.number() == first.number() + 1);
    CHECK_FALSE(first.revokes(terminal.get()));
    CHECK(second.revokes(terminal.get()));
    CHECK_FALSE(second.expired());
    CHECK(sync::refuse_revocation_list(second, &first, authority.get()) == std::nullopt);
    CHECK(sync::refuse_revocation_list(first, nullptr, authority.get()) == std::nullopt);
    const auto older = sync::refuse_revocation_list(first, &second, authority.get());
    REQUIRE(older);
    CHECK_THAT(*older, Catch::Contains("number 4096 is not above 4097"));
    CHECK(sync::refuse_revocation_list(second, &second, authority.get()));  // no news
    const auto other_ca = sync::refuse_revocation_list(foreign, nullptr, authority.get());
    REQUIRE(other_ca);
    CHECK_THAT(*other_ca, Catch::Contains("signature is not the chain CA's"));
    CHECK_THROWS_WITH(sync::read_checked_revocation_list(dir / "other/crl.pem", dir / "ca/ca.pem"),
                      Catch::Contains("other/crl.pem"));
    CHECK_THROWS_WITH(sync::RevocationList::parse("not a list", "the test's bytes"),
                      Catch::Contains("the test's bytes: not a revocation list"));
    // What is sent to the tills reads back as the same list.
    CHECK(sync::RevocationList::parse(second.der(), "der").number() == second.number());
}

TEST_CASE("a till whose revocation list expired sends nothing to a head office that has no newer one") {
    Fixture f;
    const std::string ca = (f.dir / "ca").string();
    // Head office keeps list 4096; the till holds 4097, which has expired.
    std::filesystem::copy_file(f.dir / "ca/crl.pem", f.dir / "ca/hq-crl.pem");
    pki("--crl-expired crl '" + ca + "'");
    std::filesystem::copy_file(f.dir / "ca/crl.pem", f.dir / "till-crl.pem");
    std::filesystem::copy_file(f.dir / "ca/hq-crl.pem", f.dir / "ca/crl.pem",
                               std::filesystem::copy_options::overwrite_existing);
    MemoryStore store;
    store.add(1);
    auto options = f.client("ca", "S0042-T03");
    options.tls.crl_file = f.dir / "till-crl.pem";
    sync::SyncClient client(f.io, options, store);
    client.start();
    f.run_until([&] { return !client.status().last_error.empty(); }, 5s);
    CHECK_THAT(client.status().last_error,
               Catch::Contains("cannot be checked for revocation") &&
                   Catch::Contains("has expired and head office sent no newer one; nothing is sent until it does"));
    CHECK_FALSE(client.status().connected);
    CHECK(f.handler.stored.empty());
    CHECK(store.acked == 0);
    client.stop();
}

TEST_CASE("a certificate revoked while its handshake was under way is refused right after it") {
    namespace asio = boost::asio;
    Fixture f;
    const std::string ca = (f.dir / "ca").string();
    pki("terminal '" + ca + "' S0042 S0042-T07");
    // The connection is accepted (its TLS state made with the list of that moment) ...
    asio::ip::tcp::socket socket(f.io);
    socket.connect({asio::ip::make_address("127.0.0.1"), f.server->port()});
    REQUIRE(f.run_until([&] { return f.server->connections() == 1; }, 5s));
    // ... the terminal is revoked and head office takes the new list (it polls every 2 s) ...
    pki("revoke '" + ca + "' S0042-T07");
    f.run_until([] { return false; }, 3s);
    // ... and only then the handshake: it passes the old list, the server refuses it right after.
    const sync::TlsFiles files{f.dir / "ca/ca.pem", f.dir / "ca/S0042-T07.pem", f.dir / "ca/S0042-T07.key", {}};
    auto context = sync::make_client_context(files, nullptr);
    context->set_verify_mode(asio::ssl::verify_none);  // this test is about the server's checks
    auto link =
        std::make_shared<sync::Link>(sync::Link::Stream(std::move(socket), *context), sync::k_default_max_frame);
    link->start();
    link->read_deadline(5s);
    v1::Envelope answer;
    bool done = false;
    asio::co_spawn(
        f.io,
        [&]() -> asio::awaitable<void> {
            auto [ec] = co_await link->stream().async_handshake(asio::ssl::stream_base::client, sync::k_use_tuple);
            if (!ec) co_await link->read(answer);
            done = true;
        },
        asio::detached);
    REQUIRE(f.run_until([&] { return done; }, 10s));
    link->close();
    CHECK(answer.has_error());
    CHECK(answer.error().code() == v1::SYNC_ERROR_CODE_REVOKED);
    CHECK_THAT(answer.error().message(), Catch::Contains("revoked during its handshake"));
    CHECK(f.handler.hellos == 0);
}
