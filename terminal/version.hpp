// The software version every binary reports (and every terminal sends to head office in Hello).
#pragma once

#include <string_view>

namespace loyalty::terminal {

inline constexpr std::string_view k_version = "0.1.0";

}  // namespace loyalty::terminal
