// Daemon: loyaltyd's running parts wired together on one Asio event loop: the local store, the
// lane, the POS API sockets and the card reader, until SIGTERM or SIGINT.
//
// Start-up fails with a clear message (std::runtime_error / StoreError) when the data dir, a
// socket path or the reader device is unusable. Shutdown is graceful: a request in progress
// finishes (everything runs on the one event-loop thread, so a signal is handled between
// requests), the sockets close and their files are removed. Idle means no work at all: every
// wait is an Asio wait, nothing polls.
#pragma once

#include <memory>

#include "terminal/config/terminal_config.hpp"

namespace loyalty::terminal {

class Daemon {
public:
    explicit Daemon(TerminalConfig config);
    ~Daemon();

    // Runs until SIGTERM or SIGINT; returns the process exit code.
    int run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loyalty::terminal
