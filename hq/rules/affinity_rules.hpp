// Bought-together rules (docs/head-office.md "Bought together"), with no database: baskets are
// counted one at a time (each product once per basket), then every pair seen in enough baskets
// gives two rules X -> Y with support, confidence and lift.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace loyalty::hq::rules {

struct AffinityOptions {
    int window_days = 90;               // baskets counted
    std::int64_t min_pair_baskets = 5;  // a pair rarer than this makes no rule
};

// X -> Y: of the baskets holding X, the share that held Y too (confidence), against Y's share of
// all baskets (lift).
struct Rule {
    std::string x, y;
    std::int64_t baskets_xy = 0;
    double support = 0, confidence = 0, lift = 0;
};

class BasketCounter {
public:
    // One product of the basket being read (repeats count once).
    void add(const std::string& gtin);
    // The basket read so far is complete.
    void close_basket();
    std::int64_t baskets() const { return baskets_; }
    // Both rules of every pair held together in at least `min_pair_baskets` baskets.
    std::vector<Rule> rules(std::int64_t min_pair_baskets) const;

private:
    std::unordered_map<std::string, std::uint32_t> index_;
    std::vector<std::string> gtins_;
    std::vector<std::int64_t> singles_;
    std::unordered_map<std::uint64_t, std::int64_t> pairs_;
    std::int64_t baskets_ = 0;
    std::vector<std::uint32_t> basket_;
};

}  // namespace loyalty::hq::rules
