#include "sync/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <google/protobuf/arena.h>
#include <map>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "sync/link.hpp"
#include "sync/revocation_list.hpp"

namespace loyalty::sync {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::filesystem::file_time_type modified(const std::filesystem::path& file) {
    std::error_code ec;
    return std::filesystem::last_write_time(file, ec);
}

// What a terminal is told when head office could not do what it asked.
template <typename Outcome>
v1::SyncErrorCode error_code(const Outcome& outcome) {
    return outcome.try_later ? v1::SYNC_ERROR_CODE_TRY_LATER : v1::SYNC_ERROR_CODE_INTERNAL;
}
}  // namespace

struct SyncServer::Impl : std::enable_shared_from_this<Impl> {
    template <typename Outcome>
    using Starter = std::function<void(std::function<void(Outcome)>)>;

    Impl(asio::io_context& context_io, ServerOptions o, ServerHandler& h)
        : io(context_io),
          options(std::move(o)),
          handler(h),
          crl_time(modified(options.tls.crl_file)),
          crl(read_checked_revocation_list(options.tls.crl_file, options.tls.ca_file)),
          context(make_server_context(options.tls, crl)),
          acceptor(context_io) {
        const tcp::endpoint endpoint(asio::ip::make_address(options.listen_address), options.port);
        boost::system::error_code ec;
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor.bind(endpoint, ec);
        if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            throw std::runtime_error("cannot listen on " + options.listen_address + ":" + std::to_string(options.port) +
                                     ": " + ec.message());
        }
    }

    asio::io_context& io;
    ServerOptions options;
    ServerHandler& handler;
    std::filesystem::file_time_type crl_time;
    RevocationList crl;  // the one in force
    std::shared_ptr<asio::ssl::context> context;
    tcp::acceptor acceptor;
    std::size_t live = 0;
    bool stopping = false;
    // Every link past its handshake, with the certificate it authenticated with: a new revocation
    // list is checked against them. Those `welcomed` are told of new catalogs and lists.
    struct Authenticated {
        Certificate certificate;
        std::string serial;
        std::string peer;  // "S0001-T01 (127.0.0.1:40000)"
        bool welcomed = false;
        bool cut = false;  // revoked (or the list expired) while open: nothing more is stored
    };
    std::map<std::shared_ptr<Link>, Authenticated> links;
    asio::steady_timer announce_timer{io};
    std::uint64_t announced = 0;
    asio::steady_timer crl_timer{io};
    std::chrono::system_clock::time_point crl_warned{};
    std::filesystem::file_time_type crl_refused{};  // the file version last refused (logged once)

    // A new catalog version (an offer added at head office) is announced to every connected
    // terminal within a second, as an unsolicited Pong (nonce 0), so an idle till need not wait
    // for its next heartbeat.
    asio::awaitable<void> announce_loop() {
        auto self = shared_from_this();
        announced = handler.catalog_version();
        while (!stopping) {
            announce_timer.expires_after(std::chrono::seconds(1));
            co_await announce_timer.async_wait(k_use_tuple);
            if (stopping) break;
            std::uint64_t now = announced;
            try {
                now = handler.catalog_version();
            } catch (const std::exception& e) {
                spdlog::warn("sync: catalog version unreadable: {}", e.what());
            }
            if (now == announced) continue;
            announced = now;
            v1::Envelope pong;
            pong.mutable_pong()->set_catalog_version(now);
            for (const auto& [link, authenticated] : links)
                if (authenticated.welcomed && link->open()) link->send(pong);
        }
    }

    // The revocation list's file looked at every crl_poll; its expiry warned of.
    asio::awaitable<void> crl_loop() {
        auto self = shared_from_this();
        warn_if_expiring();
        while (!stopping) {
            crl_timer.expires_after(options.crl_poll);
            co_await crl_timer.async_wait(k_use_tuple);
            if (stopping) break;
            reload_crl_if_changed();
            warn_if_expiring();
            if (crl.expired()) {
                for (auto& [link, authenticated] : links)
                    if (link->open() && !authenticated.cut)
                        cut(link, authenticated, v1::SYNC_ERROR_CODE_REVOKED,
                            "head office's revocation list has expired; link closed until a new one is published");
            }
        }
    }

    // A changed list is used for new handshakes, closes the links it revokes and goes to the tills.
    // One that cannot be used (half written, the server's key or certificate being replaced at the
    // same moment) is tried again at every poll until it can, and logged once.
    void reload_crl_if_changed() {
        const auto now = modified(options.tls.crl_file);
        if (now == crl_time) return;
        try {
            RevocationList next = read_checked_revocation_list(options.tls.crl_file, options.tls.ca_file);
            if (next.number() < crl.number()) {
                throw std::runtime_error("it has number " + std::to_string(next.number()) + ", below the " +
                                         std::to_string(crl.number()) + " in force");
            }
            context = make_server_context(options.tls, next);
            crl = std::move(next);
            crl_time = now;
            crl_warned = {};
            spdlog::info("sync: revocation list {} reloaded ({})", options.tls.crl_file.string(), crl.summary());
        } catch (const std::exception& e) {
            if (crl_refused != now) {
                spdlog::error("sync: revocation list {} changed but cannot be used, keeping the one in force: {}",
                              options.tls.crl_file.string(), e.what());
            }
            crl_refused = now;
            return;
        }
        v1::Envelope list;
        list.mutable_revocation_list()->set_der(crl.der());
        for (auto& [link, authenticated] : links) {
            if (!link->open() || authenticated.cut) continue;
            if (crl.revokes(authenticated.certificate.get())) {
                cut(link, authenticated, v1::SYNC_ERROR_CODE_REVOKED,
                    "certificate serial " + authenticated.serial + " is revoked by the new revocation list");
            } else if (authenticated.welcomed) {
                link->send(list);
            }
        }
    }

    // Ends an open link at once for `why`: nothing more it sends is stored; the error goes out first.
    void cut(const std::shared_ptr<Link>& link, Authenticated& authenticated, v1::SyncErrorCode code,
             const std::string& why) {
        authenticated.cut = true;
        spdlog::warn("sync: {}: {}; link closed", authenticated.peer, why);
        asio::co_spawn(io, close_with(link, make_error(code, why)), asio::detached);
    }

    asio::awaitable<void> close_with(std::shared_ptr<Link> link, v1::Envelope error) {
        co_await link->send_and_close(error);
    }

    bool is_cut(const std::shared_ptr<Link>& link) const {
        const auto found = links.find(link);
        return found == links.end() || found->second.cut;
    }

    // From 7 days before the list's next update, once an hour: after it, OpenSSL refuses every
    // terminal's handshake (fail closed) until a new list is published.
    void warn_if_expiring() {
        const auto now = std::chrono::system_clock::now();
        const std::string warning = expiry_warning(crl, options.tls.crl_file, now);
        if (warning.empty() || now - crl_warned < std::chrono::hours(1)) return;
        crl_warned = now;
        if (crl.expired(now)) {
            spdlog::error("sync: {}", warning);
        } else {
            spdlog::warn("sync: {}", warning);
        }
    }

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (!stopping) {
            auto [ec, socket] = co_await acceptor.async_accept(k_use_tuple);
            if (ec) {
                if (stopping || ec == asio::error::operation_aborted) break;
                spdlog::warn("sync: accept failed: {}", ec.message());
                asio::steady_timer pause(io, std::chrono::milliseconds(100));  // e.g. out of file descriptors
                co_await pause.async_wait(k_use_tuple);
                continue;
            }
            reload_crl_if_changed();  // a list published just now already applies to this handshake
            socket.set_option(tcp::no_delay(true));
            auto link = std::make_shared<Link>(Link::Stream(std::move(socket), *context), options.max_frame);
            asio::co_spawn(io, serve(link), asio::detached);
        }
    }

    static std::string who(const std::shared_ptr<Link>& link) {
        boost::system::error_code ec;
        const auto remote = link->stream().lowest_layer().remote_endpoint(ec);
        return ec ? std::string("?") : remote.address().to_string() + ":" + std::to_string(remote.port());
    }

    asio::awaitable<void> refuse(const std::shared_ptr<Link>& link, const std::string& peer, v1::SyncErrorCode code,
                                 const std::string& why) {
        spdlog::warn("sync: {} refused{}: {}", peer,
                     code == v1::SYNC_ERROR_CODE_TRY_LATER ? " (told to try later)" : "", why);
        co_await link->send_and_close(make_error(code, why));
    }

    asio::awaitable<void> serve(std::shared_ptr<Link> link) {
        auto self = shared_from_this();
        ++live;
        std::string peer = who(link);
        link->start();
        link->read_deadline(options.handshake_timeout);
        // Who presented what, for the log when the handshake fails.
        auto presented = std::make_shared<std::string>();
        link->stream().set_verify_callback([presented](bool preverified, asio::ssl::verify_context& verify) {
            if (X509* leaf = X509_STORE_CTX_get0_cert(verify.native_handle()); leaf != nullptr && presented->empty())
                *presented = describe_certificate(leaf);
            return preverified;
        });
        auto [hec] = co_await link->stream().async_handshake(asio::ssl::stream_base::server, k_use_tuple);
        if (hec) {
            const long verify = SSL_get_verify_result(link->stream().native_handle());
            std::string why = link->timed_out() ? "handshake timed out" : openssl_errors(hec.message());
            if (verify != X509_V_OK)
                why += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
            spdlog::warn("sync: {} refused at the TLS handshake: {}; {}", peer, why,
                         presented->empty() ? std::string("no certificate presented") : "presented " + *presented);
            link->close();
            --live;
            co_return;
        }
        X509* leaf = SSL_get0_peer_certificate(link->stream().native_handle());
        const auto identity = peer_identity(link->stream().native_handle());
        if (!identity) {
            co_await refuse(link, peer, v1::SYNC_ERROR_CODE_IDENTITY_MISMATCH,
                            "the certificate names no store (OU) and terminal (CN): " + describe_certificate(leaf));
            --live;
            co_return;
        }
        X509_up_ref(leaf);
        Authenticated authenticated{Certificate(leaf, X509_free), certificate_serial(leaf),
                                    identity->terminal_id + " (" + peer + ")"};
        spdlog::info("sync: {} authenticated as terminal {} of store {}, certificate serial {}", peer,
                     identity->terminal_id, identity->store_id, authenticated.serial);
        peer = authenticated.peer;
        // Verified against the list in force when the handshake began: one published meanwhile
        // counts too.
        if (crl.revokes(leaf)) {
            co_await refuse(link, peer, v1::SYNC_ERROR_CODE_REVOKED,
                            "certificate serial " + authenticated.serial + " was revoked during its handshake");
            --live;
            co_return;
        }
        links.emplace(link, std::move(authenticated));
        try {
            co_await session(link, *identity, peer);
        } catch (const std::exception& e) {  // storage failed: nothing unstored was acknowledged
            spdlog::error("sync: {}: connection ended by an error: {}", peer, e.what());
            link->close();
            handler.disconnected(*identity);
        }
        links.erase(link);
        --live;
    }

    asio::awaitable<void> session(std::shared_ptr<Link> link, const PeerIdentity& identity, const std::string& peer) {
        v1::Envelope greeting;
        auto first = co_await link->read(greeting);
        if (first.status == Link::ReadStatus::timed_out) {
            spdlog::warn(
                "sync: {} authenticated (certificate serial {}) but sent no hello within {} ms of connecting; closed",
                peer, links[link].serial, options.handshake_timeout.count());
            link->close();
            co_return;
        }
        if (first.status != Link::ReadStatus::envelope) {
            co_await refuse_read(link, peer, first);
            co_return;
        }
        if (!greeting.has_hello()) {
            co_await refuse(link, peer, v1::SYNC_ERROR_CODE_MALFORMED, "the first frame must be a hello");
            co_return;
        }
        const auto& hello = greeting.hello();
        const auto& versions = hello.protocol_versions();
        if (std::find(versions.begin(), versions.end(), k_protocol_version) == versions.end()) {
            std::string offered;
            for (auto v : versions)
                offered += (offered.empty() ? "" : ", ") + std::to_string(v);
            co_await refuse(link, peer, v1::SYNC_ERROR_CODE_UNSUPPORTED_VERSION,
                            "protocol version(s) " + offered + " offered; head office speaks " +
                                std::to_string(k_protocol_version));
            co_return;
        }
        if (hello.terminal().terminal_id() != identity.terminal_id ||
            hello.terminal().store_id() != identity.store_id) {
            co_await refuse(link, peer, v1::SYNC_ERROR_CODE_IDENTITY_MISMATCH,
                            "hello names terminal " + hello.terminal().terminal_id() + " of store " +
                                hello.terminal().store_id() + ", the certificate " + identity.terminal_id + " of " +
                                identity.store_id);
            co_return;
        }
        // Named, not temporaries in the co_await: GCC 12 destroys such temporaries twice.
        const Starter<HelloOutcome> ask_hello = [this, &identity, &hello](std::function<void(HelloOutcome)> done) {
            handler.hello(identity, hello, std::move(done));
        };
        const HelloOutcome welcomed = co_await complete(ask_hello);
        if (!welcomed.error.empty()) {
            co_await refuse(link, peer, error_code(welcomed), welcomed.error);
            co_return;
        }
        std::uint64_t stored = welcomed.stored_through;
        v1::Envelope welcome;
        welcome.mutable_welcome()->set_protocol_version(k_protocol_version);
        welcome.mutable_welcome()->set_stored_through_sequence(stored);
        welcome.mutable_welcome()->set_catalog_version(handler.catalog_version());
        welcome.mutable_welcome()->set_max_batch_events(static_cast<std::uint32_t>(k_max_batch_events));
        welcome.mutable_welcome()->set_database_restored(welcomed.database_restored);
        if (hello.revocation_list_number() < crl.number()) welcome.mutable_welcome()->set_revocation_list(crl.der());
        link->send(welcome);
        links[link].welcomed = true;
        spdlog::info("sync: {} connected (store {}, software {}, holds through {})", peer, identity.store_id,
                     hello.software_version(), stored);

        // Each frame is parsed into an arena: a batch's thousands of small objects come from a
        // few blocks, all given back at once when it is answered (an idle link keeps none).
        google::protobuf::ArenaOptions arena_options;
        arena_options.start_block_size = 4 * 1024;
        arena_options.max_block_size = 256 * 1024;
        google::protobuf::Arena arena(arena_options);
        while (link->open()) {
            v1::Envelope& in = *google::protobuf::Arena::CreateMessage<v1::Envelope>(&arena);
            link->read_deadline(options.idle_timeout);
            auto result = co_await link->read(in);
            if (result.status != Link::ReadStatus::envelope) {
                co_await refuse_read(link, peer, result);
                break;
            }
            if (is_cut(link)) break;  // revoked while this frame was on its way
            switch (in.body_case()) {
                case v1::Envelope::kBatch: {
                    for (const auto& event : in.batch().events()) {
                        if (event.header().terminal_id() != identity.terminal_id ||
                            event.header().store_id() != identity.store_id) {
                            co_await refuse(link, peer, v1::SYNC_ERROR_CODE_IDENTITY_MISMATCH,
                                            "event " + std::to_string(event.header().sequence()) + " claims terminal " +
                                                event.header().terminal_id() + " of store " +
                                                event.header().store_id() + "; nothing of the batch was stored");
                            break;
                        }
                    }
                    if (!link->open()) break;
                    const Starter<StoreOutcome> store_batch = [this, &identity,
                                                               &in](std::function<void(StoreOutcome)> done) {
                        handler.store(identity, in.batch(), std::move(done));
                    };
                    const StoreOutcome outcome = co_await complete(store_batch);
                    if (!outcome.error.empty()) {
                        co_await refuse(link, peer, error_code(outcome), outcome.error);
                        break;
                    }
                    stored = outcome.stored_through;
                    v1::Envelope ack;
                    ack.mutable_ack()->set_stored_through_sequence(stored);
                    ack.mutable_ack()->set_catalog_version(handler.catalog_version());
                    link->send(ack);
                    break;
                }
                case v1::Envelope::kPing: {
                    v1::Envelope pong;
                    pong.mutable_pong()->set_nonce(in.ping().nonce());
                    pong.mutable_pong()->set_catalog_version(handler.catalog_version());
                    link->send(pong);
                    break;
                }
                case v1::Envelope::kCatalogRequest: {
                    const std::uint64_t have = in.catalog_request().have_version();
                    const Starter<CatalogOutcome> read_delta = [this, have](std::function<void(CatalogOutcome)> done) {
                        handler.catalog_since(have, std::move(done));
                    };
                    const CatalogOutcome outcome = co_await complete(read_delta);
                    if (!outcome.error.empty()) {
                        co_await refuse(link, peer, error_code(outcome), outcome.error);
                        break;
                    }
                    v1::Envelope delta;
                    if (!outcome.parts || outcome.parts->empty()) {
                        // Nothing newer: say so, so the terminal asks again later.
                        delta.mutable_catalog_delta()->set_from_version(have);
                        delta.mutable_catalog_delta()->set_to_version(have);
                        link->send(delta, std::chrono::seconds(60));
                        break;
                    }
                    for (const auto& part : *outcome.parts) {
                        *delta.mutable_catalog_delta() = part;
                        link->send(delta, std::chrono::seconds(60));
                    }
                    break;
                }
                case v1::Envelope::kError:
                    spdlog::warn("sync: {} reports: {}", peer, in.error().message());
                    link->close();
                    break;
                default:
                    co_await refuse(link, peer, v1::SYNC_ERROR_CODE_MALFORMED,
                                    "unexpected message " + std::to_string(in.body_case()) + " from a terminal");
                    break;
            }
            arena.Reset();
        }
        link->close();
        handler.disconnected(identity);
        spdlog::info("sync: {} disconnected", peer);
    }

    asio::awaitable<void> refuse_read(const std::shared_ptr<Link>& link, const std::string& peer,
                                      const Link::ReadResult& result) {
        switch (result.status) {
            case Link::ReadStatus::too_large:
                co_await refuse(link, peer, v1::SYNC_ERROR_CODE_FRAME_TOO_LARGE, result.problem);
                break;
            case Link::ReadStatus::malformed:
                co_await refuse(link, peer, v1::SYNC_ERROR_CODE_MALFORMED, result.problem);
                break;
            case Link::ReadStatus::timed_out: spdlog::warn("sync: {} silent too long, link closed", peer); break;
            default: break;  // the terminal went away
        }
        link->close();
    }

    // A handler call that answers through a callback, awaited; the answer may come from another
    // thread and is brought back to this connection's executor.
    template <typename Outcome>
    asio::awaitable<Outcome> complete(const Starter<Outcome>& start) {
        auto executor = co_await asio::this_coro::executor;
        co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Outcome)>(
            [executor, &start](auto completion) {
                auto shared = std::make_shared<decltype(completion)>(std::move(completion));
                start([shared, executor](Outcome outcome) {
                    asio::post(executor,
                               [shared, outcome = std::move(outcome)]() mutable { (*shared)(std::move(outcome)); });
                });
            },
            asio::use_awaitable);
    }
};

SyncServer::SyncServer(asio::io_context& io, ServerOptions options, ServerHandler& handler)
    : impl_(std::make_shared<Impl>(io, std::move(options), handler)) {}

SyncServer::~SyncServer() {
    stop();
}

void SyncServer::start() {
    asio::co_spawn(
        impl_->io, [impl = impl_] { return impl->accept_loop(); }, asio::detached);
    asio::co_spawn(
        impl_->io, [impl = impl_] { return impl->announce_loop(); }, asio::detached);
    asio::co_spawn(
        impl_->io, [impl = impl_] { return impl->crl_loop(); }, asio::detached);
}

void SyncServer::stop() {
    impl_->stopping = true;
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->announce_timer.cancel();
    impl_->crl_timer.cancel();
}

std::uint16_t SyncServer::port() const {
    boost::system::error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

std::size_t SyncServer::connections() const {
    return impl_->live;
}

}  // namespace loyalty::sync
