#include "hq/cli/table.hpp"

#include <algorithm>

namespace loyalty::hq {
namespace {

// Characters on screen: UTF-8 continuation bytes take no column.
std::size_t width(const std::string& text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool numeric(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-'; });
}

}  // namespace

std::string Table::render() const {
    std::vector<std::size_t> widths(headers_.size());
    std::vector<bool> right(headers_.size(), true);
    for (std::size_t i = 0; i < headers_.size(); ++i)
        widths[i] = width(headers_[i]);
    for (const auto& row : rows_) {
        for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], width(row[i]));
            if (!row[i].empty() && !numeric(row[i])) right[i] = false;
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string& cell = i < cells.size() ? cells[i] : std::string{};
            const std::string pad(widths[i] - std::min(widths[i], width(cell)), ' ');
            if (i > 0) out += "  ";
            out += right[i] ? pad + cell : cell + (i + 1 < widths.size() ? pad : std::string{});
        }
        return out + "\n";
    };
    std::string out = line(headers_);
    std::size_t total = 0;
    for (std::size_t w : widths)
        total += w + 2;
    out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    for (const auto& row : rows_)
        out += line(row);
    return out;
}

}  // namespace loyalty::hq
