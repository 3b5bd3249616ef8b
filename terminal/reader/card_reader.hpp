// CardReader: the hardware behind card input, as one async interface (spec §3.1): a USB-serial
// magstripe reader (Asio serial_port with the profile's line settings), a keyboard-wedge reader
// or scanner (Linux evdev, grabbed, keys decoded with shift), or a FIFO / stdin text source.
//
// read() hands out one read at a time, its terminator removed. A read that stops before its
// terminator (the inter-character timeout of the profile passes) comes back marked partial: the
// POS says "swipe again". A device that fails or goes away ends read() with a
// boost::system::system_error; ReaderService reopens it with backoff.
//
// Threads: one coroutine at a time calls read(), on the daemon's event loop.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "terminal/config/terminal_config.hpp"

namespace loyalty::terminal {

struct RawRead {
    std::string bytes;  // the read without its terminator; the caller wipes it after use
    bool partial = false;
};

class CardReader {
public:
    virtual ~CardReader() = default;
    virtual boost::asio::awaitable<RawRead> read() = 0;
    virtual void close() = 0;
};

// Opens the configured reader. Throws boost::system::system_error (the device's errno) when it
// cannot.
std::unique_ptr<CardReader> open_card_reader(const boost::asio::any_io_executor& executor, const ReaderConfig& config);

}  // namespace loyalty::terminal
