#include "terminal/card/debouncer.hpp"

namespace loyalty::terminal::card {

bool Debouncer::accept(std::string_view number, Clock::time_point now) {
    const bool repeat = !last_number_.empty() && number == last_number_ && now - last_seen_ < window_;
    last_number_ = number;
    last_seen_ = now;
    return !repeat;
}

}  // namespace loyalty::terminal::card
