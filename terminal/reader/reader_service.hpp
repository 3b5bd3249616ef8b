// ReaderService: keeps the terminal's card reader open and feeds every read to the lane.
//
// At start-up a reader that is present but unusable (permission denied, not a tty, cannot be
// grabbed) stops the daemon with a clear message; one that is simply absent (unplugged) is waited
// for. A reader that fails or is unplugged later is reopened with exponential backoff (200 ms up
// to 10 s) while the daemon keeps serving; the lane's status and a pushed ReaderStateChanged show
// it. Raw reads are wiped once the lane has seen them.
#pragma once

#include <memory>

#include "terminal/config/terminal_config.hpp"

namespace boost::asio {
class io_context;
}

namespace loyalty::terminal {

class Lane;

class ReaderService {
public:
    ReaderService(boost::asio::io_context& io, const TerminalConfig& config, Lane& lane);
    ~ReaderService();

    // Checks the device and starts reading. Throws std::runtime_error for an unusable device.
    void start();
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::terminal
