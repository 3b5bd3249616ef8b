#include "terminal/pos/pos_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <list>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <variant>

#include "terminal/lane/lane.hpp"
#include "terminal/pos/frame_decoder.hpp"
#include "terminal/pos/request_codec.hpp"

namespace loyalty::terminal {
namespace {

namespace asio = boost::asio;
using asio::local::stream_protocol;
using pos::Encoding;
constexpr auto k_use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_max_queued = 1024;

void log_failure(std::exception_ptr failure, const char* what) {
    if (!failure) return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        spdlog::error("{} failed: {}", what, e.what());
    }
}

// Removes a socket file left by a process that is gone; refuses to touch a live one or a non-socket.
void clear_stale_socket(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode)) {
        throw std::runtime_error("POS socket " + path.string() + " exists and is not a socket: refusing to replace it");
    }
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    const bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(probe);
    if (live) throw std::runtime_error("POS socket " + path.string() + " is in use: is another loyaltyd running?");
    ::unlink(path.c_str());
}

}  // namespace

struct PosServer::Impl {
    struct Session : std::enable_shared_from_this<Session> {
        Session(stream_protocol::socket s, Encoding e)
            : socket(std::move(s)), encoding(e), wake(socket.get_executor()) {
            wake.expires_at(asio::steady_timer::time_point::max());
            if (e == Encoding::protobuf) {
                decoder.emplace<pos::DelimitedFrameDecoder>(k_max_request);
            } else {
                decoder.emplace<pos::JsonLineDecoder>(k_max_request);
            }
        }

        void send(const v1::PosServerMessage& message) {
            if (closed) return;
            if (queue.size() >= k_max_queued) {
                spdlog::warn("POS client is not reading its messages: disconnecting it");
                close();
                return;
            }
            queue.push_back(pos::encode_message(encoding, message));
            wake.cancel();
        }

        void close() {
            if (closed) return;
            closed = true;
            boost::system::error_code ignored;
            socket.shutdown(stream_protocol::socket::shutdown_both, ignored);
            socket.close(ignored);
            wake.cancel();
        }

        stream_protocol::socket socket;
        Encoding encoding;
        std::variant<std::monostate, pos::DelimitedFrameDecoder, pos::JsonLineDecoder> decoder;
        std::deque<std::string> queue;
        asio::steady_timer wake;
        bool subscribed = false;
        bool closed = false;
        bool close_after_flush = false;
    };

    Impl(asio::io_context& io_context, const PosConfig& pos_config, Lane& pos_lane)
        : io(io_context), config(pos_config), lane(pos_lane) {}

    asio::io_context& io;
    const PosConfig& config;
    Lane& lane;
    std::vector<std::unique_ptr<stream_protocol::acceptor>> acceptors;
    std::list<std::shared_ptr<Session>> sessions;
    bool stopped = false;

    void listen(const std::filesystem::path& path, Encoding encoding) {
        if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
        clear_stale_socket(path);
        auto acceptor = std::make_unique<stream_protocol::acceptor>(io);
        boost::system::error_code ec;
        acceptor->open(stream_protocol(), ec);
        // The socket file is created with the configured mode from the start (no window in which
        // it is more open): the umask is set around bind, before any other thread exists.
        const mode_t previous = ::umask(0777 & ~static_cast<mode_t>(config.socket_mode));
        if (!ec) acceptor->bind(stream_protocol::endpoint(path.string()), ec);
        ::umask(previous);
        if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) throw std::runtime_error("POS socket " + path.string() + ": " + ec.message());
        if (::chmod(path.c_str(), config.socket_mode) != 0) {
            throw std::runtime_error("POS socket " + path.string() + ": cannot set its mode");
        }
        asio::co_spawn(io, accept_loop(*acceptor, encoding),
                       [](std::exception_ptr e) { log_failure(e, "POS accept loop"); });
        spdlog::info("POS API ({}) listening on {}", encoding == Encoding::json ? "JSON lines" : "protobuf",
                     path.string());
        acceptors.push_back(std::move(acceptor));
    }

    asio::awaitable<void> accept_loop(stream_protocol::acceptor& acceptor, Encoding encoding) {
        asio::steady_timer pause(io);
        while (!stopped) {
            auto [ec, socket] = co_await acceptor.async_accept(k_use_tuple);
            if (stopped) co_return;
            if (ec) {
                // Out of file descriptors, most likely: wait a little instead of spinning.
                spdlog::warn("POS API accept failed: {}", ec.message());
                pause.expires_after(std::chrono::milliseconds(100));
                co_await pause.async_wait(k_use_tuple);
                continue;
            }
            auto session = std::make_shared<Session>(std::move(socket), encoding);
            sessions.push_back(session);
            auto where = std::prev(sessions.end());
            asio::co_spawn(io, writer(session), [](std::exception_ptr e) { log_failure(e, "POS writer"); });
            asio::co_spawn(io, reader(session), [this, where](std::exception_ptr e) {
                log_failure(e, "POS reader");
                // A session closing after a broken frame still has answers to send: its writer closes it.
                if (!(*where)->close_after_flush) (*where)->close();
                sessions.erase(where);
            });
        }
    }

    asio::awaitable<void> writer(std::shared_ptr<Session> session) {
        while (!session->closed) {
            if (session->queue.empty()) {
                if (session->close_after_flush) {
                    session->close();
                    co_return;
                }
                co_await session->wake.async_wait(k_use_tuple);
                session->wake.expires_at(asio::steady_timer::time_point::max());
                continue;
            }
            auto [ec, written] =
                co_await asio::async_write(session->socket, asio::buffer(session->queue.front()), k_use_tuple);
            (void)written;
            if (ec) {
                session->close();
                co_return;
            }
            session->queue.pop_front();
        }
    }

    void answer_error(Session& session, v1::PosErrorCode code, const std::string& message) {
        v1::PosServerMessage out;
        auto* error = out.mutable_response()->mutable_error();
        error->set_code(code);
        error->set_message(message);
        session.send(out);
    }

    void handle_frame(Session& session, std::string_view frame) {
        if (session.encoding == Encoding::json && frame.find_first_not_of(" \t") == std::string_view::npos) return;
        v1::PosRequest request;
        std::string problem;
        if (!pos::parse_request(session.encoding, frame, request, problem)) {
            answer_error(session, v1::POS_ERROR_CODE_MALFORMED, problem);
            return;
        }
        v1::PosServerMessage out;
        *out.mutable_response() = lane.handle(request);
        if (request.has_subscribe()) session.subscribed = true;
        session.send(out);
    }

    template <typename Decoder>
    void drain(Session& session, Decoder& decoder) {
        for (;;) {
            const pos::FrameResult result = decoder.next();
            switch (result.status) {
                case pos::FrameStatus::need_more: return;
                case pos::FrameStatus::frame: handle_frame(session, result.frame); break;
                case pos::FrameStatus::frame_too_large:
                    answer_error(session, v1::POS_ERROR_CODE_FRAME_TOO_LARGE,
                                 (result.announced ? "frame of " + std::to_string(result.announced) + " bytes"
                                                   : std::string{"line"}) +
                                     " is over the " + std::to_string(k_max_request) + "-byte limit: skipped");
                    break;
                case pos::FrameStatus::malformed:
                    answer_error(session, v1::POS_ERROR_CODE_MALFORMED,
                                 "length prefix is not a valid varint: closing the connection");
                    session.close_after_flush = true;
                    session.wake.cancel();
                    return;
            }
        }
    }

    asio::awaitable<void> reader(std::shared_ptr<Session> session) {
        std::array<char, 16 * 1024> buffer;
        while (!session->closed && !session->close_after_flush) {
            auto [ec, n] = co_await session->socket.async_read_some(asio::buffer(buffer), k_use_tuple);
            if (ec) break;  // the client went away (possibly mid-frame): nothing to undo
            const std::string_view bytes(buffer.data(), n);
            std::visit(
                [&](auto& decoder) {
                    if constexpr (!std::is_same_v<std::decay_t<decltype(decoder)>, std::monostate>) {
                        decoder.feed(bytes);
                        drain(*session, decoder);
                    }
                },
                session->decoder);
        }
        if (!session->close_after_flush) session->close();
    }
};

PosServer::PosServer(boost::asio::io_context& io, const PosConfig& config, Lane& lane)
    : impl_(std::make_unique<Impl>(io, config, lane)) {}

PosServer::~PosServer() {
    stop();
}

void PosServer::start() {
    impl_->listen(impl_->config.socket, Encoding::protobuf);
    impl_->listen(impl_->config.json_socket, Encoding::json);
}

void PosServer::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    boost::system::error_code ignored;
    for (auto& acceptor : impl_->acceptors)
        acceptor->close(ignored);
    for (auto& session : impl_->sessions)
        session->close();
    if (!impl_->acceptors.empty()) {
        ::unlink(impl_->config.socket.c_str());
        ::unlink(impl_->config.json_socket.c_str());
    }
}

void PosServer::publish(const v1::PosEvent& event) {
    v1::PosServerMessage out;
    *out.mutable_event() = event;
    for (auto& session : impl_->sessions) {
        if (session->subscribed) session->send(out);
    }
}

std::size_t PosServer::connections() const {
    return impl_->sessions.size();
}

}  // namespace loyalty::terminal
