// The real CardReader implementations: byte streams (serial port, FIFO, stdin) and evdev.
#include <fcntl.h>
#include <linux/input.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "terminal/card/card_decoder.hpp"
#include "terminal/reader/card_reader.hpp"
#include "terminal/reader/evdev_keys.hpp"

namespace loyalty::terminal {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
constexpr auto k_use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_max_read = 512;  // longer than any card format: the rest is garbage

[[noreturn]] void throw_errno(const std::string& what) {
    throw boost::system::system_error(errno, boost::system::system_category(), what);
}

// Splits a byte stream into reads at `terminator`; a read left unfinished for the inter-character
// timeout is handed out as partial. Waiting for the first byte of a read has no timeout.
template <typename Stream>
class ByteStreamReader final : public CardReader {
public:
    ByteStreamReader(Stream stream, std::string terminator, std::chrono::milliseconds timeout)
        : stream_(std::move(stream)),
          terminator_(std::move(terminator)),
          timeout_(timeout),
          timer_(stream_.get_executor()) {}

    ~ByteStreamReader() override { card::wipe(buffer_); }

    asio::awaitable<RawRead> read() override {
        std::array<char, 256> chunk;
        for (;;) {
            if (auto done = take_read()) co_return std::move(*done);
            std::size_t n = 0;
            if (buffer_.empty()) {
                auto [ec, got] = co_await stream_.async_read_some(asio::buffer(chunk), k_use_tuple);
                if (ec) throw boost::system::system_error(ec, "card reader");
                n = got;
            } else {
                timer_.expires_after(timeout_);
                auto result = co_await (stream_.async_read_some(asio::buffer(chunk), k_use_tuple) ||
                                        timer_.async_wait(k_use_tuple));
                if (result.index() == 1) {
                    RawRead partial{std::move(buffer_), true};
                    buffer_.clear();
                    co_return partial;
                }
                auto [ec, got] = std::get<0>(result);
                if (ec) throw boost::system::system_error(ec, "card reader");
                n = got;
            }
            buffer_.append(chunk.data(), n);
            ::explicit_bzero(chunk.data(), n);
        }
    }

    void close() override {
        boost::system::error_code ignored;
        stream_.close(ignored);
    }

private:
    std::optional<RawRead> take_read() {
        const std::size_t end = buffer_.find(terminator_);
        if (end != std::string::npos) {
            RawRead read{buffer_.substr(0, end), false};
            ::explicit_bzero(buffer_.data(), end + terminator_.size());
            buffer_.erase(0, end + terminator_.size());
            return read;
        }
        if (buffer_.size() > k_max_read) {
            RawRead read{std::move(buffer_), true};
            buffer_.clear();
            return read;
        }
        return std::nullopt;
    }

    Stream stream_;
    std::string terminator_;
    std::chrono::milliseconds timeout_;
    asio::steady_timer timer_;
    std::string buffer_;
};

// A keyboard-wedge device: input_events in, characters out, Enter ends a read.
class EvdevReader final : public CardReader {
public:
    EvdevReader(asio::posix::stream_descriptor device, std::chrono::milliseconds timeout)
        : device_(std::move(device)), timeout_(timeout), timer_(device_.get_executor()) {}

    ~EvdevReader() override { card::wipe(typed_); }

    asio::awaitable<RawRead> read() override {
        std::array<input_event, 64> events;
        for (;;) {
            std::size_t n = 0;
            if (typed_.empty()) {
                auto [ec, got] = co_await device_.async_read_some(asio::buffer(events), k_use_tuple);
                if (ec) throw boost::system::system_error(ec, "evdev reader");
                n = got;
            } else {
                timer_.expires_after(timeout_);
                auto result = co_await (device_.async_read_some(asio::buffer(events), k_use_tuple) ||
                                        timer_.async_wait(k_use_tuple));
                if (result.index() == 1) {
                    RawRead partial{std::move(typed_), true};
                    typed_.clear();
                    co_return partial;
                }
                auto [ec, got] = std::get<0>(result);
                if (ec) throw boost::system::system_error(ec, "evdev reader");
                n = got;
            }
            for (std::size_t i = 0; i < n / sizeof(input_event); ++i) {
                const auto c = keys_.feed(events[i].type, events[i].code, events[i].value);
                if (!c) continue;
                if (*c == EvdevKeyDecoder::k_enter) {
                    RawRead read{std::move(typed_), false};
                    typed_.clear();
                    ::explicit_bzero(events.data(), sizeof events);
                    co_return read;
                }
                if (typed_.size() < k_max_read) typed_ += *c;
            }
            ::explicit_bzero(events.data(), sizeof events);
        }
    }

    void close() override {
        boost::system::error_code ignored;
        device_.close(ignored);
    }

private:
    asio::posix::stream_descriptor device_;
    std::chrono::milliseconds timeout_;
    asio::steady_timer timer_;
    EvdevKeyDecoder keys_;
    std::string typed_;
};

asio::serial_port open_serial(const asio::any_io_executor& executor, const std::string& device,
                              const SerialSettings& s) {
    asio::serial_port port(executor);
    boost::system::error_code ec;
    port.open(device, ec);
    if (ec) throw boost::system::system_error(ec, "serial reader " + device);
    using base = asio::serial_port_base;
    port.set_option(base::baud_rate(s.baud), ec);
    if (!ec) port.set_option(base::character_size(s.data_bits), ec);
    if (!ec) {
        port.set_option(base::parity(s.parity == Parity::odd    ? base::parity::odd
                                     : s.parity == Parity::even ? base::parity::even
                                                                : base::parity::none),
                        ec);
    }
    if (!ec) port.set_option(base::stop_bits(s.stop_bits == 2 ? base::stop_bits::two : base::stop_bits::one), ec);
    if (!ec) {
        port.set_option(base::flow_control(s.flow_control == FlowControl::hardware   ? base::flow_control::hardware
                                           : s.flow_control == FlowControl::software ? base::flow_control::software
                                                                                     : base::flow_control::none),
                        ec);
    }
    if (ec) throw boost::system::system_error(ec, "serial reader " + device + ": line settings");
    return port;
}

}  // namespace

std::unique_ptr<CardReader> open_card_reader(const asio::any_io_executor& executor, const ReaderConfig& config) {
    const std::string terminator = config.profile ? config.profile->terminator : "\n";
    const auto timeout = config.profile ? config.profile->inter_char_timeout : std::chrono::milliseconds(100);
    switch (config.kind) {
        case ReaderKind::serial: {
            const SerialSettings settings =
                config.profile && config.profile->serial ? *config.profile->serial : SerialSettings{};
            return std::make_unique<ByteStreamReader<asio::serial_port>>(open_serial(executor, config.device, settings),
                                                                         terminator, timeout);
        }
        case ReaderKind::evdev: {
            const int fd = ::open(config.device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) throw_errno("evdev reader " + config.device);
            const bool grab = config.profile && config.profile->evdev && config.profile->evdev->grab;
            if (grab && ::ioctl(fd, EVIOCGRAB, 1) != 0) {
                const int err = errno;
                ::close(fd);
                errno = err;
                throw_errno("evdev reader " + config.device + ": cannot grab it (another program holds it?)");
            }
            return std::make_unique<EvdevReader>(asio::posix::stream_descriptor(executor, fd), timeout);
        }
        case ReaderKind::fifo: {
            // O_RDWR on a FIFO keeps a writer open ourselves, so a writer closing is not end of file.
            const int fd = config.device == "-" ? ::dup(STDIN_FILENO)
                                                : ::open(config.device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) throw_errno("text reader " + config.device);
            return std::make_unique<ByteStreamReader<asio::posix::stream_descriptor>>(
                asio::posix::stream_descriptor(executor, fd), terminator, timeout);
        }
    }
    throw std::logic_error("unknown reader kind");
}

}  // namespace loyalty::terminal
