// Latency samples and their percentiles, printed the same way by every benchmark.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace loyalty::bench {

class Samples {
public:
    void add(std::chrono::nanoseconds d) { values_.push_back(d.count()); }

    // "name: n=… p50=… µs p99=… µs max=… µs"
    void print(const char* name) {
        std::sort(values_.begin(), values_.end());
        auto at = [&](double q) {
            return values_[static_cast<std::size_t>(q * static_cast<double>(values_.size() - 1))] / 1000.0;
        };
        std::printf("%-44s n=%zu  p50=%8.1f us  p99=%8.1f us  max=%8.1f us\n", name, values_.size(), at(0.50), at(0.99),
                    values_.back() / 1000.0);
    }

    double p50() {
        std::sort(values_.begin(), values_.end());
        return static_cast<double>(values_[values_.size() / 2]);
    }

private:
    std::vector<long long> values_;
};

}  // namespace loyalty::bench
