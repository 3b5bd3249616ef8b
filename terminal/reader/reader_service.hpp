// ReaderService: keeps the terminal's card reader open and feeds every read to the lane.
//
// At start-up a reader that is present but unusable (permission denied, not a tty, cannot be
// grabbed) stops the daemon with a clear message; one that is simply absent (unplugged) is waited
// for. A reader that fails or is unplugged later is reopened with exponential backoff (200 ms up
// to 10 s) while the daemon keeps serving; the lane's status and a pushed ReaderStateChanged show
// it. Raw reads are wiped once the lane has seen them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "terminal/config/terminal_config.hpp"

namespace boost::asio {
class io_context;
}

namespace loyalty::terminal {

class Lane;
class CardReader;

// How long to wait before reopening a lost reader: `first`, doubling up to `max`.
struct ReaderBackoff {
    std::chrono::milliseconds first{200};
    std::chrono::milliseconds max{10'000};
};

class ReaderService {
public:
    // Opens the reader; throws boost::system::system_error when it cannot. The default opens the
    // configured device (open_card_reader); tests pass one that hands out FakeCardReaders.
    using Factory = std::function<std::unique_ptr<CardReader>()>;

    ReaderService(boost::asio::io_context& io, const TerminalConfig& config, Lane& lane, Factory factory = {},
                  ReaderBackoff backoff = ReaderBackoff{});
    ~ReaderService();

    // Checks the device and starts reading. Throws std::runtime_error for an unusable device.
    void start();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::terminal
