#include "terminal/reader/reader_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <spdlog/spdlog.h>

#include "terminal/card/card_decoder.hpp"
#include "terminal/lane/lane.hpp"
#include "terminal/reader/card_reader.hpp"

namespace loyalty::terminal {
namespace {

namespace asio = boost::asio;

// Errors that mean "not there (yet)": wait for it rather than refuse to start.
bool absent(const boost::system::error_code& ec) {
    return ec.value() == ENOENT || ec.value() == ENODEV || ec.value() == ENXIO || ec.value() == EIO;
}

}  // namespace

struct ReaderService::Impl {
    Impl(asio::io_context& io_context, const TerminalConfig& c, Lane& l, Factory f, ReaderBackoff b)
        : io(io_context), config(c), lane(l), factory(std::move(f)), backoff_limits(b), timer(io_context) {
        if (!factory) factory = [this] { return open_card_reader(io.get_executor(), config.reader); };
    }

    asio::io_context& io;
    const TerminalConfig& config;
    Lane& lane;
    Factory factory;
    ReaderBackoff backoff_limits;
    asio::steady_timer timer;
    std::unique_ptr<CardReader> reader;
    bool stopped = false;

    std::string name() const { return std::string{to_string(config.reader.kind)} + " reader " + config.reader.device; }

    asio::awaitable<void> run() {
        auto backoff = backoff_limits.first;
        while (!stopped) {
            if (!reader) {
                std::optional<boost::system::system_error> failure;
                try {
                    reader = factory();
                } catch (const boost::system::system_error& e) {
                    failure = e;
                }
                if (failure) {
                    lane.set_reader_state(v1::READER_STATE_DISCONNECTED, failure->what());
                    spdlog::warn("{}: {}; trying again in {} ms", name(), failure->code().message(), backoff.count());
                    timer.expires_after(backoff);
                    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
                    backoff = std::min(backoff * 2, backoff_limits.max);
                    continue;
                }
                backoff = backoff_limits.first;
                lane.set_reader_state(v1::READER_STATE_READY, name());
                spdlog::info("{} is ready", name());
            }
            try {
                RawRead read = co_await reader->read();
                try {
                    lane.card_read(read.bytes, read.partial);
                } catch (const std::exception& e) {
                    spdlog::error("a card read could not be handled: {}", e.what());
                }
                card::wipe(read.bytes);
            } catch (const boost::system::system_error& e) {
                if (stopped) break;
                reader->close();
                reader.reset();
                if (config.reader.device == "-" && e.code() == asio::error::eof) {
                    lane.set_reader_state(v1::READER_STATE_DISABLED, "stdin closed");
                    spdlog::info("stdin closed: no more card reads from it");
                    co_return;
                }
                lane.set_reader_state(v1::READER_STATE_DISCONNECTED, e.what());
                spdlog::warn("{} failed ({}): reopening", name(), e.code().message());
            }
        }
    }
};

ReaderService::ReaderService(asio::io_context& io, const TerminalConfig& config, Lane& lane, Factory factory,
                             ReaderBackoff backoff)
    : impl_(std::make_unique<Impl>(io, config, lane, std::move(factory), backoff)) {}

ReaderService::~ReaderService() = default;

void ReaderService::start() {
    try {
        impl_->reader = impl_->factory();
        impl_->lane.set_reader_state(v1::READER_STATE_READY, impl_->name());
        spdlog::info("{} is ready", impl_->name());
    } catch (const boost::system::system_error& e) {
        if (!absent(e.code())) throw std::runtime_error(std::string{e.what()} + ": check reader.device");
        impl_->lane.set_reader_state(v1::READER_STATE_DISCONNECTED, e.what());
        spdlog::warn("{} is not there yet ({}); waiting for it", impl_->name(), e.code().message());
    }
    asio::co_spawn(impl_->io, impl_->run(), [](std::exception_ptr failure) {
        if (!failure) return;
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            spdlog::error("card reader loop stopped: {}", e.what());
        }
    });
}

void ReaderService::stop() {
    impl_->stopped = true;
    impl_->timer.cancel();
    if (impl_->reader) impl_->reader->close();
}

}  // namespace loyalty::terminal
