#include "terminal/ctl/pos_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace loyalty::terminal {

PosClient::PosClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout) : timeout_(timeout) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket.native().size() >= sizeof address.sun_path) {
        throw std::runtime_error("socket path " + socket.string() + " is too long");
    }
    std::memcpy(address.sun_path, socket.c_str(), socket.native().size() + 1);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("cannot connect to loyaltyd at " + socket.string() + ": " + std::strerror(err) +
                                 (err == ENOENT || err == ECONNREFUSED ? " (is loyaltyd running?)" : ""));
    }
}

PosClient::~PosClient() {
    if (fd_ >= 0) ::close(fd_);
}

v1::PosResponse PosClient::call(v1::PosRequest request) {
    request.set_request_id(next_id_++);
    std::string frame;
    pos::append_delimited(frame, request.SerializeAsString());
    for (std::size_t sent = 0; sent < frame.size();) {
        const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error("loyaltyd closed the connection");
        sent += static_cast<std::size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
        for (auto r = decoder_.next(); r.status != pos::FrameStatus::need_more; r = decoder_.next()) {
            if (r.status != pos::FrameStatus::frame) throw std::runtime_error("loyaltyd sent a broken frame");
            v1::PosServerMessage message;
            if (!message.ParseFromArray(r.frame.data(), static_cast<int>(r.frame.size()))) {
                throw std::runtime_error("loyaltyd sent a message this loyaltyctl cannot read");
            }
            if (message.has_response() && message.response().request_id() == request.request_id()) {
                return message.response();
            }
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            throw std::runtime_error("loyaltyd did not answer within " + std::to_string(timeout_.count()) + " ms");
        }
        char chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) throw std::runtime_error("loyaltyd closed the connection");
        decoder_.feed(std::string_view(chunk, static_cast<std::size_t>(n)));
    }
}

}  // namespace loyalty::terminal
