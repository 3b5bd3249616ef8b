#include "sync/link.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

namespace loyalty::sync {
namespace {
namespace asio = boost::asio;
}  // namespace

Link::Link(Stream stream, std::size_t max_frame)
    : stream_(std::move(stream)),
      decoder_(max_frame),
      watchdog_timer_(stream_.get_executor()),
      writer_wake_(stream_.get_executor(), Clock::time_point::max()),
      drained_(stream_.get_executor(), Clock::time_point::max()) {}

void Link::start() {
    auto self = shared_from_this();
    asio::co_spawn(
        stream_.get_executor(), [self] { return self->watchdog(); }, asio::detached);
    asio::co_spawn(
        stream_.get_executor(), [self] { return self->writer(); }, asio::detached);
}

void Link::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
    watchdog_timer_.cancel();
    writer_wake_.cancel();
    drained_.cancel();
}

void Link::read_deadline(Clock::duration within) {
    read_deadline_ = Clock::now() + within;
    rearm();
}

void Link::rearm() {
    watchdog_timer_.cancel();  // the watchdog wakes and works out the next deadline
}

asio::awaitable<void> Link::watchdog() {
    auto self = shared_from_this();
    while (!closed_) {
        Clock::time_point deadline = read_deadline_;
        if (!queue_.empty()) deadline = std::min(deadline, queue_.front().deadline);
        if (deadline <= Clock::now()) {
            timed_out_ = true;
            close();
            co_return;
        }
        watchdog_timer_.expires_at(deadline);
        co_await watchdog_timer_.async_wait(k_use_tuple);
    }
}

asio::awaitable<Link::ReadResult> Link::read(v1::Envelope& envelope) {
    auto self = shared_from_this();
    for (;;) {
        DecodeResult result = decoder_.next(envelope);
        switch (result.status) {
            case DecodeStatus::envelope: co_return ReadResult{ReadStatus::envelope, {}};
            case DecodeStatus::too_large: co_return ReadResult{ReadStatus::too_large, std::move(result.problem)};
            case DecodeStatus::malformed: co_return ReadResult{ReadStatus::malformed, std::move(result.problem)};
            case DecodeStatus::need_more: break;
        }
        if (closed_) co_return ReadResult{timed_out_ ? ReadStatus::timed_out : ReadStatus::closed, "closed"};
        const std::span<char> room = decoder_.prepare();
        auto [ec, n] = co_await stream_.async_read_some(asio::buffer(room.data(), room.size()), k_use_tuple);
        decoder_.commit(ec ? 0 : n);
        if (ec) {
            const bool timed_out = timed_out_;
            close();
            co_return ReadResult{timed_out ? ReadStatus::timed_out : ReadStatus::closed,
                                 timed_out ? "no frame before the deadline" : ec.message()};
        }
    }
}

void Link::send(const v1::Envelope& envelope, Clock::duration within) {
    if (closed_) return;
    const bool was_empty = queue_.empty();
    queue_.push_back({encode_frame(envelope), Clock::now() + within});
    writer_wake_.cancel();
    if (was_empty) rearm();
}

asio::awaitable<void> Link::drain() {
    auto self = shared_from_this();
    while (!queue_.empty() && !closed_)
        co_await drained_.async_wait(k_use_tuple);
}

asio::awaitable<void> Link::send_and_close(const v1::Envelope& envelope) {
    auto self = shared_from_this();
    send(envelope, std::chrono::seconds(5));
    co_await drain();
    close();
}

asio::awaitable<void> Link::writer() {
    auto self = shared_from_this();
    std::vector<asio::const_buffer> buffers;
    while (!closed_) {
        if (queue_.empty()) {
            drained_.cancel();
            co_await writer_wake_.async_wait(k_use_tuple);
            continue;
        }
        // Everything queued goes out in one write.
        buffers.clear();
        for (const auto& out : queue_)
            buffers.push_back(asio::buffer(out.frame));
        const std::size_t count = buffers.size();
        auto [ec, n] = co_await asio::async_write(stream_, buffers, k_use_tuple);
        if (ec) {
            close();
            break;
        }
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
        rearm();
    }
    drained_.cancel();
}

}  // namespace loyalty::sync
