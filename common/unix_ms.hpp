// Milliseconds since the Unix epoch (UTC): the time format of every table, SQLite's and
// PostgreSQL's, at the till and at head office.
#pragma once

#include <chrono>
#include <cstdint>

namespace loyalty {

inline std::int64_t to_unix_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms) {
    return std::chrono::system_clock::time_point{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds{ms})};
}

}  // namespace loyalty
