#include "domain/contact.hpp"

#include <cctype>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace loyalty::domain {

std::optional<std::string> normalize_phone(std::string_view phone) {
    std::string out;
    for (char c : phone) {
        if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') continue;
        if (c == '+' && out.empty()) {
            out += c;
            continue;
        }
        if (c < '0' || c > '9') return std::nullopt;
        out += c;
    }
    if (out.size() < 9 || out.size() > 16 || out.front() != '+') return std::nullopt;
    return out;
}

std::optional<std::string> normalize_email(std::string_view email) {
    while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
        email.remove_prefix(1);
    while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
        email.remove_suffix(1);
    const std::size_t at = email.find('@');
    if (email.size() > 254 || at == 0 || at == std::string_view::npos ||
        email.find('@', at + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view domain = email.substr(at + 1);
    const std::size_t dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return std::nullopt;
    std::string out;
    for (char c : email) {
        if (static_cast<unsigned char>(c) <= 0x20) return std::nullopt;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string display_name(std::string_view given_name, std::string_view family_name) {
    std::string name{given_name};
    if (!family_name.empty()) {
        if (!name.empty()) name += ' ';
        // The initial is the first UTF-8 character, not the first byte.
        std::size_t length = 1;
        while (length < family_name.size() && (static_cast<unsigned char>(family_name[length]) & 0xC0) == 0x80)
            ++length;
        name += family_name.substr(0, length);
        name += '.';
    }
    return name;
}

std::string contact_lookup_key(std::string_view key, ContactKind kind, std::string_view normalized) {
    if (key.empty() || normalized.empty()) return {};
    std::string message = kind == ContactKind::phone ? "phone:" : "email:";
    message += normalized;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length) == nullptr)
        return {};
    return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace loyalty::domain
