// SyncServer: head office's side of sync (spec §4, §5 serve): many terminals at once over mutual
// TLS. Each connection: handshake (the certificate must chain to the CA and not be revoked), the
// identity read from the certificate, Hello checked against it and against the protocol
// versions spoken, then batches stored (through the handler, durably) and acknowledged, catalog
// requests answered, pings answered. Every refusal is logged with the peer and the reason and
// closes that connection only; every accepted certificate is logged with its serial.
//
// Revocation: the list's file is looked at on every new connection and every crl_poll. A changed
// list (checked to be the CA's, not older than the one in force) is used for the handshakes that
// follow (and checked once more after each handshake, for one that began before it), cuts at once
// every open link whose certificate it revokes (nothing more it sends is stored), and is sent to
// every terminal (they check head office's own certificate against it). An expired list fails
// closed: every handshake is refused and every open link cut until a new one is published; from 7
// days before, a warning is logged every hour.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loyalty/v1/sync.pb.h"
#include "sync/tls.hpp"

namespace boost::asio {
class io_context;
}

namespace loyalty::sync {

// `try_later` on an error: it is head office's state (its database down, its disk full), not the
// terminal's request; the terminal is told SYNC_ERROR_CODE_TRY_LATER instead of INTERNAL.
struct StoreOutcome {
    std::uint64_t stored_through = 0;  // the highest sequence now held for the terminal
    std::string error;                 // non-empty: nothing was stored, the link is closed
    bool try_later = false;
};

struct HelloOutcome {
    std::uint64_t stored_through = 0;  // the highest sequence held for the terminal's database
    bool database_restored = false;    // see Welcome.database_restored
    std::string error;                 // non-empty: the terminal is refused with this reason
    bool try_later = false;
};

struct CatalogOutcome {
    std::shared_ptr<const std::vector<v1::CatalogDelta>> parts;  // null or empty: nothing newer
    std::string error;                                           // non-empty: the link is closed with it
    bool try_later = false;
};

// What the server needs from head office's storage. Calls come on the server's thread; hello(),
// store() and catalog_since() may finish on another thread and must call `done` exactly once. The
// hello and the batch they are given stay valid until then (the server reuses their memory for the
// next frame of that connection, so a batch is parsed without allocating and never freed on the
// storage's thread). catalog_version() is asked on every ack: it must be cheap.
class ServerHandler {
public:
    virtual ~ServerHandler() = default;
    // Records the terminal's contact, versions and backlog; answers what is held for it.
    virtual void hello(const PeerIdentity& peer, const v1::Hello& hello, std::function<void(HelloOutcome)> done) = 0;
    virtual void store(const PeerIdentity& peer, const v1::EventBatch& batch,
                       std::function<void(StoreOutcome)> done) = 0;
    virtual std::uint64_t catalog_version() = 0;
    // The delta from `have_version` to now, in parts of bounded size.
    virtual void catalog_since(std::uint64_t have_version, std::function<void(CatalogOutcome)> done) = 0;
    virtual void disconnected(const PeerIdentity& peer) = 0;
};

struct ServerOptions {
    std::string listen_address = "0.0.0.0";
    std::uint16_t port = 7443;
    TlsFiles tls;
    std::size_t max_frame = 4 * 1024 * 1024;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{45'000};  // terminals ping every 10 s
    std::chrono::milliseconds crl_poll{2'000};       // how often the revocation list's file is looked at
};

class SyncServer {
public:
    // Throws std::runtime_error when the TLS files cannot be used or the port cannot be bound.
    SyncServer(boost::asio::io_context& io, ServerOptions options, ServerHandler& handler);
    ~SyncServer();
    SyncServer(const SyncServer&) = delete;
    SyncServer& operator=(const SyncServer&) = delete;

    void start();
    void stop();
    std::uint16_t port() const;  // the bound port (useful with port 0)
    std::size_t connections() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace loyalty::sync
