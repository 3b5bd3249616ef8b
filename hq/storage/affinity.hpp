// Bought together (issue [5/5], item 2): association rules between products over the baskets of a
// recent window, refreshed periodically, and "likely to buy Y" from them.
//
// For every pair of products in at least `min_pair_baskets` baskets: support (share of baskets
// holding both), and for each direction X -> Y confidence (share of X's baskets holding Y) and lift
// (confidence / Y's share of all baskets; above 1: bought together more than by chance). A
// refresh writes a new generation of rules in short transactions and then switches to it, so
// readers (targeting) always see one complete set.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/sqlite/database.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

class Affinities {
public:
    // The schema these rules need (head office's migration 5).
    static std::string_view schema();

    explicit Affinities(sqlite::Database& db) : db_(db) {}

    // Counts the baskets of the `options.window_days` before `now_ms`; returns how many rules.
    // `write` runs a piece of work in its own write transaction.
    std::size_t refresh(std::int64_t now_ms, const AffinityOptions& options,
                        const std::function<void(const std::function<void()>&)>& write);

    // The rules, strongest lift first.
    std::vector<Rule> rules(std::size_t limit, double min_lift);

    // Customers (profiled: with consent) who bought a product X with X -> `gtin` at `min_lift` or
    // more, and have not bought `gtin` since `not_since_ms`.
    std::vector<std::string> likely_to_buy(const std::string& gtin, double min_lift, std::int64_t not_since_ms);

private:
    std::int64_t generation();
    sqlite::Database& db_;
};

}  // namespace loyalty::hq
