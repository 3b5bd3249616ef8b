// PosServer: the POS API on the terminal's two Unix sockets (spec §3.2, docs/pos-api.md): one
// speaking varint-delimited protobuf, one speaking JSON lines. Any number of clients at once (the
// POS application, loyaltyctl, a support tool); each request is answered in order on its
// connection; pushed events go to every connection that sent Subscribe.
//
// A bad request is answered with a PosError and the connection goes on; an oversized frame is
// skipped without buffering it. Only a stream that cannot be resynchronised (a broken length
// prefix) is closed. A client that stops reading is disconnected when 1,024 messages are waiting
// for it, so it can never hold up the till.
//
// Threads: everything runs on the io_context's one thread, like the Lane it drives.
#pragma once

#include <cstddef>
#include <memory>

#include "loyalty/v1/pos_api.pb.h"
#include "terminal/config/terminal_config.hpp"

namespace boost::asio {
class io_context;
}

namespace loyalty::terminal {

class Lane;

class PosServer {
public:
    static constexpr std::size_t k_max_request = 64 * 1024;

    PosServer(boost::asio::io_context& io, const PosConfig& config, Lane& lane);
    ~PosServer();
    PosServer(const PosServer&) = delete;
    PosServer& operator=(const PosServer&) = delete;

    // Binds both sockets with the configured mode (a stale socket file from a crashed run is
    // replaced; one a live daemon listens on is not) and starts accepting. Throws
    // std::runtime_error naming the path and the reason.
    void start();
    // Stops accepting, closes every connection and removes the socket files.
    void stop();

    // Sends `event` to every subscribed connection.
    void publish(const v1::PosEvent& event);

    std::size_t connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::terminal
