#include "domain/config/config_error.hpp"

namespace loyalty::domain {

std::string ConfigError::to_string() const {
    std::string text = file;
    if (line > 0) text.append(":").append(std::to_string(line));
    text.append(": ");
    if (!key.empty()) text.append(key).append(": ");
    text.append(message);
    return text;
}

}  // namespace loyalty::domain
