#include "hq/rules/affinity_rules.hpp"

#include <algorithm>

namespace loyalty::hq::rules {

void BasketCounter::add(const std::string& gtin) {
    auto [it, added] = index_.try_emplace(gtin, static_cast<std::uint32_t>(gtins_.size()));
    if (added) {
        gtins_.push_back(it->first);
        singles_.push_back(0);
    }
    basket_.push_back(it->second);
}

void BasketCounter::close_basket() {
    std::sort(basket_.begin(), basket_.end());
    basket_.erase(std::unique(basket_.begin(), basket_.end()), basket_.end());
    if (basket_.empty()) return;
    ++baskets_;
    for (std::size_t i = 0; i < basket_.size(); ++i) {
        ++singles_[basket_[i]];
        for (std::size_t j = i + 1; j < basket_.size(); ++j)
            ++pairs_[static_cast<std::uint64_t>(basket_[i]) << 32 | basket_[j]];
    }
    basket_.clear();
}

std::vector<Rule> BasketCounter::rules(std::int64_t min_pair_baskets) const {
    std::vector<Rule> rules;
    for (const auto& [key, together] : pairs_) {
        if (together < min_pair_baskets) continue;
        const auto a = static_cast<std::uint32_t>(key >> 32), b = static_cast<std::uint32_t>(key & 0xffffffff);
        const double support = static_cast<double>(together) / static_cast<double>(baskets_);
        for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
            const double confidence = static_cast<double>(together) / static_cast<double>(singles_[x]);
            const double lift = confidence / (static_cast<double>(singles_[y]) / static_cast<double>(baskets_));
            rules.push_back(Rule{gtins_[x], gtins_[y], together, support, confidence, lift});
        }
    }
    return rules;
}

}  // namespace loyalty::hq::rules
