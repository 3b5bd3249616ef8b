#include "terminal/config/config_error.hpp"

namespace loyalty::terminal {

std::string ConfigError::to_string() const {
    std::string text = file;
    if (line > 0) text += ":" + std::to_string(line);
    text += ": ";
    if (!key.empty()) text += key + ": ";
    text += message;
    return text;
}

}  // namespace loyalty::terminal
