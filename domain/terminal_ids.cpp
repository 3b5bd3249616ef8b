#include "domain/terminal_ids.hpp"

#include <algorithm>
#include <cstdio>

#include "common/random_text.hpp"

namespace loyalty::domain {
namespace {

std::string_view kind_letter(IdKind kind) {
    switch (kind) {
        case IdKind::sale: return "";
        case IdKind::sale_return: return "R";
        case IdKind::customer: return "C";
    }
    return "";
}

bool digits(std::string_view text) {
    return text.size() >= 6 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool crockford(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return k_crockford_alphabet.find(c) != std::string_view::npos; });
}

// "<kind><digits>" after the terminal and the optional tag.
bool kind_and_number(std::string_view rest, IdKind kind) {
    const std::string_view letter = kind_letter(kind);
    return rest.starts_with(letter) && digits(rest.substr(letter.size()));
}

}  // namespace

std::string make_terminal_id(std::string_view terminal_id, std::string_view tag, IdKind kind, std::uint64_t number) {
    char text[24];
    std::snprintf(text, sizeof text, "%06llu", static_cast<unsigned long long>(number));
    std::string id{terminal_id};
    id += '-';
    if (!tag.empty()) {
        id += tag;
        id += '-';
    }
    id += kind_letter(kind);
    id += text;
    return id;
}

bool made_by_terminal(std::string_view id, std::string_view terminal_id, IdKind kind) {
    if (terminal_id.empty() || id.size() <= terminal_id.size() + 1 || !id.starts_with(terminal_id) ||
        id[terminal_id.size()] != '-')
        return false;
    const std::string_view rest = id.substr(terminal_id.size() + 1);
    if (kind_and_number(rest, kind)) return true;  // made before tags
    return rest.size() > 6 && rest[5] == '-' && crockford(rest.substr(0, 5)) && kind_and_number(rest.substr(6), kind);
}

}  // namespace loyalty::domain
