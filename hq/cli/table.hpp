// A plain-text table for loyalty-hq's listings and reports: columns as wide as their widest cell,
// numbers (and money) right-aligned, everything else left-aligned.
#pragma once

#include <string>
#include <vector>

namespace loyalty::hq {

class Table {
public:
    explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string render() const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace loyalty::hq
