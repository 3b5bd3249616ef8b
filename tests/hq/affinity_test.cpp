// Bought together on generated data: every rule (support, confidence, lift) checked against the
// counts this test makes on its own from the same events, and "likely to buy" against the
// customers' own purchases.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;

TEST_CASE("bought-together rules and likely buyers match what the baskets say") {
    test::TempDir dir;
    const hq::synth::Options options{.seed = 13, .customers = 200, .days = 40, .profiling_consent_share = 1.0};
    const auto chain = hq::synth::generate(options);
    auto storage = hq::open_sqlite_storage(dir / "hq.db");
    hq::synth::feed(*storage, chain);
    const auto now = std::chrono::system_clock::time_point{options.first_day} + std::chrono::days{options.days};
    const auto refreshed = storage->refresh_profiles(now, {}, {.window_days = 30, .min_pair_baskets = 5});

    // Independently: the baskets of the last 30 days.
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t window_from = now_s - 30 * 86400;
    std::map<std::string, std::int64_t> singles;
    std::map<std::pair<std::string, std::string>, std::int64_t> pairs;
    std::int64_t baskets = 0;
    std::map<std::string, std::map<std::string, std::int64_t>> last_bought;  // customer -> gtin -> seconds
    for (const v1::Event* e : chain.in_time_order()) {
        if (!e->has_purchase()) continue;
        const std::int64_t at = e->header().terminal_time().seconds();
        std::set<std::string> basket;
        for (const auto& line : e->purchase().lines())
            basket.insert(line.gtin());
        if (!e->purchase().customer_id().empty())
            for (const auto& g : basket)
                last_bought[e->purchase().customer_id()][g] = std::max(last_bought[e->purchase().customer_id()][g], at);
        if (at < window_from || at >= now_s) continue;
        ++baskets;
        for (auto a = basket.begin(); a != basket.end(); ++a) {
            ++singles[*a];
            for (auto b = std::next(a); b != basket.end(); ++b)
                ++pairs[{*a, *b}];
        }
    }
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, double>> expected;  // (x,y) -> n, lift
    for (const auto& [pair, n] : pairs) {
        if (n < 5) continue;
        const auto& [a, b] = pair;
        expected[{a, b}] = {n, (static_cast<double>(n) / singles[a]) / (static_cast<double>(singles[b]) / baskets)};
        expected[{b, a}] = {n, (static_cast<double>(n) / singles[b]) / (static_cast<double>(singles[a]) / baskets)};
    }
    REQUIRE(expected.size() > 20);
    CHECK(refreshed.rules == expected.size());

    const auto rules = storage->bought_together(1'000'000, 0);
    REQUIRE(rules.size() == expected.size());
    double strongest = 0;
    for (const auto& r : rules) {
        INFO(r.x << " -> " << r.y);
        const auto& [n, lift] = expected.at({r.x, r.y});
        CHECK(r.baskets_xy == n);
        CHECK(r.lift == Approx(lift));
        CHECK(r.support == Approx(static_cast<double>(n) / baskets));
        CHECK(r.confidence == Approx(static_cast<double>(n) / singles[r.x]));
        strongest = std::max(strongest, r.lift);
    }
    CHECK(rules.front().lift == Approx(strongest));
    CHECK(strongest > 1.5);  // the customers' staples make real affinities

    // Likely to buy the strongest rule's Y: bought an X with X -> Y at that lift or more, and no Y in 14 days.
    const std::string y = rules.front().y;
    const double min_lift = rules.front().lift * 0.8;
    std::set<std::string> xs;
    for (const auto& r : rules)
        if (r.y == y && r.lift >= min_lift) xs.insert(r.x);
    std::vector<std::string> want;
    for (const auto& [customer, bought] : last_bought) {
        const bool bought_x = std::any_of(xs.begin(), xs.end(), [&](const auto& x) { return bought.contains(x); });
        const auto it = bought.find(y);
        const bool recent_y = it != bought.end() && it->second >= now_s - 14 * 86400;
        if (bought_x && !recent_y) want.push_back(customer);
    }
    REQUIRE_FALSE(want.empty());
    CHECK(storage->likely_to_buy(y, min_lift, now - std::chrono::days{14}) == want);

    // A second refresh replaces the rules, it does not add to them.
    CHECK(storage->refresh_profiles(now, {}, {.window_days = 30, .min_pair_baskets = 5}).rules == expected.size());
    CHECK(storage->bought_together(1'000'000, 0).size() == expected.size());
}
