// Fraud signals on generated data with three misbehaving customers (hq/synth Options::fraud):
// every alert checked against what this test finds on its own in the same events, and the three
// among them.
#include "hq/storage/alerts.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;

namespace {

double km_between(double lat1, double lon1, double lat2, double lon2) {
    const double r = 3.14159265358979323846 / 180;
    const double a = std::pow(std::sin((lat2 - lat1) * r / 2), 2) +
                     std::cos(lat1 * r) * std::cos(lat2 * r) * std::pow(std::sin((lon2 - lon1) * r / 2), 2);
    return 2 * 6371.0 * std::asin(std::sqrt(a));
}

}  // namespace

TEST_CASE("fraud signals: busy cards, impossible travel and returns over purchases, and nothing else") {
    test::TempDir dir;
    const auto chain = hq::synth::generate({.seed = 17, .customers = 120, .days = 40, .fraud = true});
    auto storage = hq::open_sqlite_storage(dir / "hq.db");
    hq::synth::feed(*storage, chain);
    hq::AlertOptions options;  // 6 sales a day, 120 km/h, 20 km
    for (std::size_t s = 0; s < chain.stores.size(); ++s)
        options.stores[chain.stores[s]] = chain.locations[s];

    // Independently, from the events.
    std::set<std::pair<std::string, std::string>> want;  // kind, customer
    std::map<std::pair<std::string, std::int64_t>, int> per_day;
    std::map<std::string, std::vector<std::pair<std::int64_t, std::size_t>>> visits;  // customer -> (time, store)
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> money;               // bought, refunded
    std::map<std::string, std::size_t> store_index;
    for (std::size_t s = 0; s < chain.stores.size(); ++s)
        store_index[chain.stores[s]] = s;
    for (const v1::Event* e : chain.in_time_order()) {
        const std::int64_t at = e->header().terminal_time().seconds();
        if (e->has_purchase() && !e->purchase().customer_id().empty()) {
            const std::string& c = e->purchase().customer_id();
            ++per_day[{c, at / 86400}];
            visits[c].emplace_back(at, store_index.at(e->header().store_id()));
            money[c].first += e->purchase().total().minor_units();
        }
        if (e->has_sale_return() && !e->sale_return().customer_id().empty())
            money[e->sale_return().customer_id()].second += e->sale_return().refund_total().minor_units();
    }
    for (const auto& [key, n] : per_day)
        if (n > 6) want.insert({"busy_card", key.first});
    for (const auto& [c, list] : visits) {
        for (std::size_t i = 1; i < list.size(); ++i) {
            const auto& a = chain.locations[list[i - 1].second];
            const auto& b = chain.locations[list[i].second];
            const double km = km_between(a.latitude, a.longitude, b.latitude, b.longitude);
            const double hours = static_cast<double>(list[i].first - list[i - 1].first) / 3600;
            if (list[i].second != list[i - 1].second && km >= 20 && km > 120 * hours)
                want.insert({"impossible_travel", c});
        }
    }
    for (const auto& [c, m] : money)
        if (m.second > m.first) want.insert({"returns_exceed", c});

    const auto from = std::chrono::system_clock::time_point{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};
    const auto to = from + std::chrono::days{3650};
    std::set<std::pair<std::string, std::string>> got;
    for (const auto& a : storage->alerts(options, from, to)) {
        got.insert({a.kind, a.customer_id});
        CHECK_FALSE(a.detail.empty());
    }
    CHECK(got == want);
    CHECK(got.contains({"busy_card", chain.customers[0].customer_id}));
    CHECK(got.contains({"impossible_travel", chain.customers[1].customer_id}));
    CHECK(got.contains({"returns_exceed", chain.customers[2].customer_id}));

    // Without store locations there is no travel to judge; a window before everything finds nothing.
    options.stores.clear();
    for (const auto& a : storage->alerts(options, from, to))
        CHECK(a.kind != "impossible_travel");
    CHECK(storage->alerts(options, from, from + std::chrono::days{1}).empty());

    // An erased customer's history, kept under a pseudonym, raises nothing.
    const auto erased = storage->erase_customer(chain.customers[0].customer_id);
    REQUIRE(erased.has_value());
    for (const auto& a : storage->alerts(options, from, to)) {
        CHECK(a.customer_id != erased->pseudonym);
        CHECK(a.kind != "busy_card");
    }
}
