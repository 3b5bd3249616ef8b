// Debouncer: the same card read again within the window counts once (a shopper swiping twice,
// a scanner reading the same fob on two passes). The window restarts with every read of the same
// card, so a card held in front of a scanner counts once however long it stays there; another
// card is always accepted at once.
//
// Not thread-safe: one per reader, used from the reader's strand.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace loyalty::terminal::card {

class Debouncer {
public:
    using Clock = std::chrono::steady_clock;

    explicit Debouncer(std::chrono::milliseconds window) : window_(window) {}

    // True when this read of `number` at `now` counts; false when it repeats the previous card.
    bool accept(std::string_view number, Clock::time_point now);

private:
    std::chrono::milliseconds window_;
    std::string last_number_;
    Clock::time_point last_seen_{};
};

}  // namespace loyalty::terminal::card
