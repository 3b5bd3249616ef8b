// SyncClient: the terminal's side of sync (spec §4), run inside loyaltyd on its event loop.
//
// Upstream it reads the outbox in sequence order and sends bounded batches, several in flight,
// marking events acknowledged when head office's Ack says they are stored; a new event goes out
// at once (wake()). Downstream it asks for the catalog delta whenever head office reports a newer
// catalog version (in Welcome, Ack and Pong) and applies the parts in one transaction.
//
// The link is kept up for good: a failed connect, handshake or step closes it and a new one is
// tried after a backoff that doubles from backoff_min to backoff_max with jitter; a link with
// no frame for dead_after (the peer answers every Ping) is dead and replaced.
//
// Revocation: the client holds the newest revocation list it has checked to be the chain CA's (the
// one installed with the till, or a newer one head office sent, kept in crl_state_file) and checks
// head office's certificate against it. A till whose list has expired (offline for weeks, installed
// long ago) or that has none still completes the handshake (a certificate the old list revokes is
// refused all the same) but sends nothing past its Hello until head office's Welcome brought a
// current list that does not revoke head office's certificate; otherwise it closes the link and
// says why. A newer list pushed during a link is checked the same way. Nothing here
// blocks the till: every wait is an Asio wait on the daemon's one thread, and the store calls are
// short SQLite statements.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/v1/catalog.pb.h"
#include "loyalty/v1/events.pb.h"
#include "sync/tls.hpp"

namespace boost::asio {
class io_context;
}

namespace loyalty::sync {

// What the client needs from the terminal's local store.
class ClientStore {
public:
    virtual ~ClientStore() = default;
    virtual std::uint64_t acked_through() = 0;
    // The highest sequence ever given to an event (the outbox's end).
    virtual std::uint64_t last_sequence() = 0;
    // The local database's identity (sequences are numbered per database).
    virtual std::string database_id() = 0;
    // The tag in the ids that database makes; a new one after restored_from_backup().
    virtual std::string id_tag() = 0;
    // Unacknowledged events with sequence > after, in order, at most limit.
    virtual std::vector<v1::Event> events_after(std::uint64_t after, std::size_t limit) = 0;
    virtual void mark_acked(std::uint64_t through) = 0;
    // Head office holds only the events up to `after` although it acknowledged more before (its
    // database restored from a backup): the events after it still held become unacknowledged again,
    // so they are sent again. Returns how many.
    virtual std::size_t reopen_after(std::uint64_t after) = 0;
    // Head office holds more of this database's events than it does (it was restored from a
    // backup): the ids it makes from now on must differ from those of the events it lost.
    virtual void restored_from_backup() = 0;
    virtual std::uint64_t catalog_version() = 0;
    // Applies the parts of one delta in one transaction; throws (changing nothing) when it cannot.
    virtual void apply_catalog(const std::vector<v1::CatalogDelta>& parts) = 0;
};

struct ClientOptions {
    std::string host;
    std::uint16_t port = 0;
    TlsFiles tls;  // crl_file: the revocation list installed with the till (optional)
    // Where the newest revocation list from head office is kept (DER); empty: kept in memory only.
    std::filesystem::path crl_state_file;
    std::string store_id;
    std::string terminal_id;
    std::string software_version;
    std::size_t batch_events = 500;
    std::size_t batches_in_flight = 4;
    std::chrono::milliseconds step_timeout{10'000};  // connect, handshake, welcome, each write
    std::chrono::milliseconds heartbeat{10'000};
    std::chrono::milliseconds dead_after{30'000};
    std::chrono::milliseconds backoff_min{500};
    std::chrono::milliseconds backoff_max{60'000};
};

struct SyncStatus {
    bool connected = false;
    std::uint64_t acked_through = 0;
    std::uint64_t sent_through = 0;
    std::optional<std::chrono::system_clock::time_point> last_ack;
    std::uint64_t catalog_version = 0;
    std::uint64_t head_office_catalog_version = 0;
    std::string last_error;
};

class SyncClient {
public:
    // Throws std::runtime_error when the TLS files cannot be used.
    SyncClient(boost::asio::io_context& io, ClientOptions options, ClientStore& store);
    ~SyncClient();
    SyncClient(const SyncClient&) = delete;
    SyncClient& operator=(const SyncClient&) = delete;

    void start();
    void stop();
    // An event was recorded: send it now if connected.
    void wake();
    SyncStatus status() const;
    // Called on the event loop after a catalog delta was applied.
    void on_catalog_applied(std::function<void()> listener);
    // Called on the event loop when head office acknowledged events up to `through`.
    void on_acknowledged(std::function<void(std::uint64_t through)> listener);
    // Called on the event loop whenever the link goes up or down, and after each failed attempt.
    void on_state_change(std::function<void(bool connected)> listener);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace loyalty::sync
