// FakeCardReader: a CardReader fed by the test instead of a device (leveldb's memenv idea): reads
// pushed into its Feed come out of read() in order; a failure set on the Feed ends read() with
// that error, as an unplugged device would.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <deque>
#include <memory>
#include <optional>

#include "terminal/reader/card_reader.hpp"

namespace loyalty::terminal {

class FakeCardReader final : public CardReader {
public:
    // What the test holds: push reads, or fail the device.
    struct Feed {
        std::deque<RawRead> reads;
        std::optional<boost::system::error_code> failure;
        boost::asio::steady_timer* waiting = nullptr;  // the reader's wake-up, while it waits
        bool closed = false;

        void push(std::string bytes, bool partial = false) {
            reads.push_back(RawRead{std::move(bytes), partial});
            if (waiting) waiting->cancel();
        }
        void fail(boost::system::error_code ec) {
            failure = ec;
            if (waiting) waiting->cancel();
        }
    };

    FakeCardReader(const boost::asio::any_io_executor& executor, std::shared_ptr<Feed> feed)
        : timer_(executor), feed_(std::move(feed)) {}
    ~FakeCardReader() override { feed_->waiting = nullptr; }

    boost::asio::awaitable<RawRead> read() override {
        for (;;) {
            if (feed_->failure) throw boost::system::system_error(*feed_->failure, "fake reader");
            if (feed_->closed) throw boost::system::system_error(boost::asio::error::operation_aborted, "fake reader");
            if (!feed_->reads.empty()) {
                RawRead read = std::move(feed_->reads.front());
                feed_->reads.pop_front();
                co_return read;
            }
            feed_->waiting = &timer_;
            timer_.expires_at(boost::asio::steady_timer::time_point::max());
            co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            feed_->waiting = nullptr;
        }
    }

    void close() override {
        feed_->closed = true;
        timer_.cancel();
    }

private:
    boost::asio::steady_timer timer_;
    std::shared_ptr<Feed> feed_;
};

}  // namespace loyalty::terminal
