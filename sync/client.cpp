#include "sync/client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <google/protobuf/util/time_util.h>
#include <openssl/x509.h>
#include <random>
#include <spdlog/spdlog.h>

#include "sync/link.hpp"
#include "sync/revocation_list.hpp"

namespace loyalty::sync {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How a terminal reports head office's SyncError (status, logs): "try later" is head office's
// own trouble, not this terminal's; its events are kept and sent again after the backoff.
std::string refusal(const v1::SyncError& error) {
    if (error.code() == v1::SYNC_ERROR_CODE_TRY_LATER)
        return "head office cannot take events now (try later; they are kept and sent again): " + error.message();
    return "head office refused: " + error.message();
}

// Writes `bytes` to `file` so that a crash leaves either the old file or the new one.
void write_durably(const std::filesystem::path& file, const std::string& bytes) {
    const std::filesystem::path temporary = file.string() + ".new";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(temporary.string() + ": cannot be written");
    const bool written =
        ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), file.c_str()) != 0)
        throw std::runtime_error(file.string() + ": cannot be written");
    const int dir = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

// What the verify callback saw during one handshake with head office.
struct Verification {
    std::string refused;               // why the certificate was refused, for the log
    std::string revocation_unchecked;  // why revocation could not be checked (no list, list expired)
};
}  // namespace

struct SyncClient::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& context_io, ClientOptions o, ClientStore& s)
        : io(context_io),
          options(std::move(o)),
          store(s),
          ca(read_certificate(options.tls.ca_file)),
          crl(held_revocation_list()),
          context(make_client_context(options.tls, crl ? &*crl : nullptr)),
          sleep(context_io),
          wake(context_io) {}

    asio::io_context& io;
    ClientOptions options;
    ClientStore& store;
    Certificate ca;
    std::optional<RevocationList> crl;  // the newest list checked to be the CA's
    std::shared_ptr<asio::ssl::context> context;
    asio::steady_timer sleep;  // the backoff between links
    asio::steady_timer wake;   // the sender's "there may be something to send"
    std::shared_ptr<Link> link;
    bool stopping = false;
    SyncStatus state;
    std::deque<std::uint64_t> in_flight;  // the last sequence of each batch awaiting its Ack
    std::vector<v1::CatalogDelta> parts;  // of the delta being received
    bool catalog_requested = false;
    std::mt19937_64 random{std::random_device{}()};
    std::function<void()> catalog_listener;
    std::function<void(bool)> state_listener;
    std::function<void(std::uint64_t)> ack_listener;

    // Listeners hear every change, and every failed attempt (down again, with a new last_error).
    void set_connected(bool up) {
        if (state.connected == up && up) return;
        state.connected = up;
        if (state_listener) state_listener(up);
    }

    asio::awaitable<void> run() {
        auto self = shared_from_this();
        auto backoff = options.backoff_min;
        while (!stopping) {
            bool welcomed = false;
            try {
                welcomed = co_await session();
            } catch (const std::exception& e) {  // the local store failed: say so, and try again later
                fail(std::string("sync interrupted by an error: ") + e.what());
            }
            if (link) link->close();
            set_connected(false);
            if (stopping) break;
            if (welcomed) backoff = options.backoff_min;
            // Half the backoff plus a random share of the other half: tills that lost head
            // office together do not come back together.
            const auto half = backoff / 2;
            const auto delay = half + std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(
                                          0, std::max<std::int64_t>(half.count(), 1))(random));
            spdlog::info("sync: next attempt in {} ms", delay.count());
            sleep.expires_after(delay);
            co_await sleep.async_wait(k_use_tuple);
            backoff = std::min(backoff * 2, options.backoff_max);
        }
    }

    void fail(const std::string& why) {
        state.last_error = why;
        spdlog::warn("sync: {}", why);
    }

    // One link, from connect to its end. True when head office welcomed us.
    asio::awaitable<bool> session() {
        auto self = shared_from_this();
        tcp::resolver resolver(io);
        auto [rec, endpoints] =
            co_await resolver.async_resolve(options.host, std::to_string(options.port), k_use_tuple);
        if (rec) {
            fail("cannot resolve " + options.host + ": " + rec.message());
            co_return false;
        }
        if (stopping) co_return false;
        link = std::make_shared<Link>(Link::Stream(io, *context), k_default_max_frame);
        link->start();
        link->read_deadline(options.step_timeout);
        auto [cec, endpoint] = co_await asio::async_connect(link->stream().lowest_layer(), endpoints, k_use_tuple);
        if (cec) {
            fail("cannot connect to " + options.host + ":" + std::to_string(options.port) + ": " +
                 (link->timed_out() ? std::string("timed out") : cec.message()));
            link->close();
            co_return false;
        }
        link->stream().lowest_layer().set_option(tcp::no_delay(true));
        SSL_set_tlsext_host_name(link->stream().native_handle(), options.host.c_str());
        auto verification = std::make_shared<Verification>();
        link->stream().set_verify_callback([verification, host_check = asio::ssl::host_name_verification(options.host),
                                            host = options.host](bool preverified, asio::ssl::verify_context& verify) {
            X509_STORE_CTX* chain = verify.native_handle();
            X509* current = X509_STORE_CTX_get_current_cert(chain);
            if (!preverified) {
                const int error = X509_STORE_CTX_get_error(chain);
                // No list, or an expired one: checked after the Welcome (which brings one).
                if (error == X509_V_ERR_UNABLE_TO_GET_CRL || error == X509_V_ERR_CRL_HAS_EXPIRED) {
                    verification->revocation_unchecked = X509_verify_cert_error_string(error);
                    return true;
                }
                if (verification->refused.empty())
                    verification->refused =
                        std::string(X509_verify_cert_error_string(error)) + "; " + describe_certificate(current);
                return false;
            }
            const bool named = host_check(preverified, verify);
            if (!named && verification->refused.empty())
                verification->refused = "the certificate does not name " + host + "; " + describe_certificate(current);
            return named;
        });
        auto [hec] = co_await link->stream().async_handshake(asio::ssl::stream_base::client, k_use_tuple);
        if (hec) {
            std::string why = link->timed_out() ? std::string("timed out") : openssl_errors(hec.message());
            if (!verification->refused.empty())
                why += " (head office's certificate refused: " + verification->refused + ")";
            fail("TLS handshake with " + options.host + " failed: " + why);
            link->close();
            co_return false;
        }
        v1::Envelope hello;
        auto* h = hello.mutable_hello();
        h->add_protocol_versions(k_protocol_version);
        h->mutable_terminal()->set_store_id(options.store_id);
        h->mutable_terminal()->set_terminal_id(options.terminal_id);
        h->set_software_version(options.software_version);
        h->set_acked_through_sequence(store.acked_through());
        h->set_catalog_version(store.catalog_version());
        h->set_next_sequence(store.last_sequence() + 1);
        h->set_database_id(store.database_id());
        h->set_id_tag(store.id_tag());
        h->set_revocation_list_number(crl ? crl->number() : 0);
        link->send(hello, options.step_timeout);
        v1::Envelope in;
        auto first = co_await link->read(in);
        if (first.status != Link::ReadStatus::envelope || !in.has_welcome()) {
            fail("head office did not welcome us: " + (in.has_error()          ? refusal(in.error())
                                                       : first.problem.empty() ? "no answer"
                                                                               : first.problem));
            link->close();
            co_return false;
        }
        const auto& welcome = in.welcome();
        if (!welcome.revocation_list().empty()) adopt(welcome.revocation_list());
        if (const std::string why = untrusted(verification->revocation_unchecked); !why.empty()) {
            fail(why);
            link->close();
            co_return false;
        }
        const std::uint64_t head_office_holds = welcome.stored_through_sequence();
        std::uint64_t acked = store.acked_through();
        // Never beyond what this database holds: events it has not made yet are not acknowledged.
        const std::uint64_t held = store.last_sequence();
        if (welcome.database_restored()) {
            spdlog::error(
                "sync: head office holds more of this database's events than it does (restored from a backup?): "
                "new sale, return and customer ids get a new tag; events are sent from {} on",
                head_office_holds + 1);
            store.restored_from_backup();
        } else if (head_office_holds < acked) {
            resend_after(head_office_holds, acked);
        }
        if (head_office_holds > acked) store.mark_acked(std::min(head_office_holds, held));
        acked = store.acked_through();
        state.sent_through = std::min(std::max(acked, head_office_holds), held);
        state.acked_through = store.acked_through();
        state.last_error.clear();
        in_flight.clear();
        parts.clear();
        catalog_requested = false;
        set_connected(true);
        spdlog::info("sync: connected to {}:{}, head office holds through {}, catalog {}", options.host, options.port,
                     welcome.stored_through_sequence(), welcome.catalog_version());
        check_catalog(welcome.catalog_version(), true);
        asio::co_spawn(io, sender(link), asio::detached);
        asio::co_spawn(io, heartbeat(link), asio::detached);
        co_await receiver(link);
        wake.cancel();
        co_return true;
    }

    // The lists installed with the till and kept from head office: the newest that is the CA's.
    std::optional<RevocationList> held_revocation_list() const {
        std::optional<RevocationList> newest;
        for (const auto& file : {options.tls.crl_file, options.crl_state_file}) {
            std::error_code ec;
            if (file.empty() || !std::filesystem::exists(file, ec)) continue;
            try {
                RevocationList list = RevocationList::read_file(file);
                list.check_issued_by(ca.get(), file.string());
                if (!newest || list.number() > newest->number()) newest = std::move(list);
            } catch (const std::exception& e) {
                spdlog::error("sync: revocation list ignored: {}", e.what());
            }
        }
        if (newest) spdlog::info("sync: revocation list {} in force", newest->summary());
        return newest;
    }

    // A list from head office: used (and kept) when it is the CA's and newer than the one held.
    void adopt(const std::string& der) {
        try {
            RevocationList list = RevocationList::parse(der, "head office's revocation list");
            if (auto why = refuse_revocation_list(list, crl ? &*crl : nullptr, ca.get())) {
                spdlog::warn("sync: revocation list from head office refused: {}", *why);
                return;
            }
            if (!options.crl_state_file.empty()) write_durably(options.crl_state_file, list.der());
            context = make_client_context(options.tls, &list);
            crl = std::move(list);
            spdlog::info("sync: revocation list {} from head office now in force", crl->summary());
        } catch (const std::exception& e) {
            spdlog::error("sync: revocation list from head office not used: {}", e.what());
        }
    }

    // Why head office's certificate on this link is not to be trusted now (empty: it is): it is
    // revoked by the list held, or revocation could not be checked at the handshake and the list
    // held still does not allow it.
    std::string untrusted(const std::string& unchecked_at_handshake) const {
        X509* certificate = SSL_get0_peer_certificate(link->stream().native_handle());
        if (certificate == nullptr) return "head office presented no certificate";
        if (!crl) {
            return "head office's certificate cannot be checked for revocation (" + unchecked_at_handshake +
                   ") and head office sent no revocation list; nothing is sent until it does";
        }
        if (crl->expired()) {
            return "head office's certificate cannot be checked for revocation: the revocation list held (" +
                   crl->summary() + ") has expired and head office sent no newer one; nothing is sent until it does";
        }
        if (crl->revokes(certificate)) {
            return "head office's certificate is revoked (" + describe_certificate(certificate) + "; revocation list " +
                   crl->summary() + "); link refused";
        }
        return {};
    }

    // Head office lost events it had acknowledged (its database restored from a backup): those the
    // outbox still holds go again; those pruned since are gone, and head office records the gap.
    void resend_after(std::uint64_t head_office_holds, std::uint64_t acked) {
        const std::size_t reopened = store.reopen_after(head_office_holds);
        const std::uint64_t first_held = store.acked_through() + 1;
        spdlog::warn(
            "sync: head office holds events through {} but acknowledged {} before (restored from a backup?): "
            "sending again the {} still in the outbox",
            head_office_holds, acked, reopened);
        if (first_held > head_office_holds + 1) {
            spdlog::error("sync: events {} to {} were pruned from the outbox after their ack and cannot be sent again",
                          head_office_holds + 1, first_held - 1);
        }
    }

    // Asks for the delta when head office is ahead. A lower version counts only in the Welcome (head
    // office restored from a backup: it answers with a full resync); in an Ack or Pong it may be
    // older than a delta already applied.
    void check_catalog(std::uint64_t head_office_version, bool welcome = false) {
        state.head_office_catalog_version = head_office_version;
        const std::uint64_t have = store.catalog_version();
        if (catalog_requested || head_office_version == have || (head_office_version < have && !welcome)) return;
        v1::Envelope request;
        request.mutable_catalog_request()->set_have_version(store.catalog_version());
        link->send(request, options.step_timeout);
        catalog_requested = true;
    }

    asio::awaitable<void> receiver(std::shared_ptr<Link> l) {
        v1::Envelope in;
        while (l->open()) {
            l->read_deadline(options.dead_after);
            auto result = co_await l->read(in);
            if (result.status != Link::ReadStatus::envelope) {
                fail(result.status == Link::ReadStatus::timed_out ? "head office silent, link dead"
                                                                  : "link lost: " + result.problem);
                break;
            }
            switch (in.body_case()) {
                case v1::Envelope::kAck: {
                    const std::uint64_t through = in.ack().stored_through_sequence();
                    if (through > state.sent_through) {
                        fail("head office acknowledged " + std::to_string(through) + ", beyond what was sent");
                        l->close();
                        break;
                    }
                    store.mark_acked(through);
                    state.acked_through = through;
                    state.last_ack = std::chrono::system_clock::now();
                    if (ack_listener) ack_listener(through);
                    while (!in_flight.empty() && in_flight.front() <= through)
                        in_flight.pop_front();
                    wake.cancel();
                    check_catalog(in.ack().catalog_version());
                    break;
                }
                case v1::Envelope::kPong: check_catalog(in.pong().catalog_version()); break;
                case v1::Envelope::kCatalogDelta: receive_delta(in.catalog_delta()); break;
                case v1::Envelope::kRevocationList: {
                    adopt(in.revocation_list().der());
                    if (const std::string why = untrusted("a new revocation list"); !why.empty()) {
                        fail(why);
                        l->close();
                    }
                    break;
                }
                case v1::Envelope::kError:
                    fail(refusal(in.error()));
                    l->close();
                    break;
                default: break;  // nothing else is meant for a terminal; ignored
            }
        }
        l->close();
    }

    void receive_delta(const v1::CatalogDelta& delta) {
        parts.push_back(delta);
        if (delta.more_parts()) return;
        try {
            store.apply_catalog(parts);
            spdlog::info("sync: catalog {} -> {} applied{}", parts.front().from_version(), parts.back().to_version(),
                         parts.front().full_resync() ? " (full resync)" : "");
            if (catalog_listener) catalog_listener();
        } catch (const std::exception& e) {
            fail(std::string("catalog delta refused, the cache is unchanged: ") + e.what());
        }
        parts.clear();
        catalog_requested = false;
        check_catalog(state.head_office_catalog_version);
    }

    // A store error ends the link (and the next one tries again), never the sender alone.
    asio::awaitable<void> sender(std::shared_ptr<Link> l) {
        auto self = shared_from_this();
        try {
            co_await send_loop(l);
        } catch (const std::exception& e) {
            fail(std::string("cannot read the outbox: ") + e.what());
            l->close();
        }
    }

    asio::awaitable<void> send_loop(const std::shared_ptr<Link>& l) {
        while (l->open() && !stopping) {
            if (in_flight.size() < options.batches_in_flight) {
                auto events = store.events_after(state.sent_through, options.batch_events);
                if (!events.empty()) {
                    v1::Envelope batch;
                    for (auto& e : events)
                        *batch.mutable_batch()->add_events() = std::move(e);
                    state.sent_through = batch.batch().events().rbegin()->header().sequence();
                    in_flight.push_back(state.sent_through);
                    l->send(batch, options.step_timeout);
                    continue;
                }
            }
            wake.expires_at(Clock::time_point::max());
            co_await wake.async_wait(k_use_tuple);
        }
    }

    asio::awaitable<void> heartbeat(std::shared_ptr<Link> l) {
        auto self = shared_from_this();
        asio::steady_timer timer(io);
        std::uint64_t nonce = 0;
        while (l->open()) {
            timer.expires_after(options.heartbeat);
            co_await timer.async_wait(k_use_tuple);
            if (!l->open()) break;
            v1::Envelope ping;
            ping.mutable_ping()->set_nonce(++nonce);
            *ping.mutable_ping()->mutable_sent_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
            l->send(ping, options.step_timeout);
        }
    }
};

SyncClient::SyncClient(asio::io_context& io, ClientOptions options, ClientStore& store)
    : impl_(std::make_shared<Impl>(io, std::move(options), store)) {}

SyncClient::~SyncClient() {
    stop();
}

void SyncClient::start() {
    impl_->state.acked_through = impl_->store.acked_through();
    impl_->state.catalog_version = impl_->store.catalog_version();
    asio::co_spawn(
        impl_->io, [impl = impl_] { return impl->run(); }, asio::detached);
}

void SyncClient::stop() {
    impl_->stopping = true;
    impl_->sleep.cancel();
    impl_->wake.cancel();
    if (impl_->link) impl_->link->close();
}

void SyncClient::wake() {
    impl_->wake.cancel();
}

SyncStatus SyncClient::status() const {
    SyncStatus s = impl_->state;
    s.catalog_version = impl_->store.catalog_version();
    return s;
}

void SyncClient::on_catalog_applied(std::function<void()> listener) {
    impl_->catalog_listener = std::move(listener);
}

void SyncClient::on_acknowledged(std::function<void(std::uint64_t)> listener) {
    impl_->ack_listener = std::move(listener);
}

void SyncClient::on_state_change(std::function<void(bool)> listener) {
    impl_->state_listener = std::move(listener);
}

}  // namespace loyalty::sync
