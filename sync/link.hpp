// Link: one sync connection over TLS (internal to sync/): envelopes in and out through the frame
// codec, a deadline on every step, one writer so frames never interleave.
//
// Deadlines: a watchdog closes the socket when the current read deadline or the oldest queued
// write's deadline passes, which fails whatever was waiting on it. Every wait therefore ends,
// whatever the peer does (stalls mid-frame, stops reading, vanishes without a FIN).
//
// Threads: one Link lives on one executor (the io_context's thread); not thread-safe.
#pragma once

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "sync/wire.hpp"

namespace loyalty::sync {

// Awaitable completions as (error_code, results...) tuples: errors are values on a link.
inline constexpr auto k_use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

class Link : public std::enable_shared_from_this<Link> {
public:
    using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
    using Clock = std::chrono::steady_clock;

    Link(Stream stream, std::size_t max_frame);

    Stream& stream() { return stream_; }
    // Starts the watchdog and the writer; call once the Link is owned by a shared_ptr.
    void start();
    // Closes the connection now; pending reads and writes fail.
    void close();
    bool open() const { return !closed_; }

    // The deadline for the next read() or handshake step, from now.
    void read_deadline(Clock::duration within);

    enum class ReadStatus { envelope, closed, too_large, malformed, timed_out };
    struct ReadResult {
        ReadStatus status = ReadStatus::closed;
        std::string problem;  // what went wrong, for the log
    };
    // The next envelope into `envelope`.
    boost::asio::awaitable<ReadResult> read(v1::Envelope& envelope);

    // Queues `envelope`; it must be written within `within` or the link is closed.
    void send(const v1::Envelope& envelope, Clock::duration within = std::chrono::seconds(15));
    // Sends `envelope`, waits until it is written (or the link failed), then closes: for errors.
    boost::asio::awaitable<void> send_and_close(const v1::Envelope& envelope);
    // Waits until every queued frame is written (or the link closed).
    boost::asio::awaitable<void> drain();
    std::size_t queued() const { return queue_.size(); }

    // Why the watchdog closed the link, if it did.
    bool timed_out() const { return timed_out_; }

private:
    boost::asio::awaitable<void> watchdog();
    boost::asio::awaitable<void> writer();
    void rearm();

    Stream stream_;
    FrameDecoder decoder_;
    boost::asio::steady_timer watchdog_timer_;
    boost::asio::steady_timer writer_wake_;
    boost::asio::steady_timer drained_;
    Clock::time_point read_deadline_ = Clock::time_point::max();
    struct Outgoing {
        std::string frame;
        Clock::time_point deadline;
    };
    std::deque<Outgoing> queue_;
    bool writing_ = false;
    bool closed_ = false;
    bool timed_out_ = false;
};

}  // namespace loyalty::sync
