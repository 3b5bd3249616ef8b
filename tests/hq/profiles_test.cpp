// Profiles on generated data (hq/synth): fed through head office's ingest path (journal, apply),
// then checked against figures this test computes on its own from the very same events: visits,
// spend net of refunds, lines, first and last visit, favourite department, median gap; no profile
// without consent, and none left after consent is withdrawn; RFM quintiles and tiers after a
// refresh.
#include "hq/storage/profiles.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "common/sqlite/database.hpp"
#include "hq/ingest/profile_refresher.hpp"
#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;

namespace {

constexpr std::int64_t k_day_ms = 86'400'000;

struct Expected {
    std::int64_t visits = 0, spend = 0, refunds = 0, lines = 0;
    std::int64_t first = INT64_MAX, last = 0;
    std::vector<std::int64_t> days;  // of each purchase, in time order
    std::map<std::string, std::int64_t> departments;
};

std::int64_t ms(const v1::Event& e) {
    return e.header().terminal_time().seconds() * 1000;
}

// Everything computed here from the events alone.
std::map<std::string, Expected> expected_from(const hq::synth::Chain& chain) {
    std::map<std::string, Expected> out;
    std::map<std::pair<std::string, std::string>, const v1::PurchaseEvent*> sales;  // (terminal, sale id)
    for (const v1::Event* e : chain.in_time_order()) {
        if (e->has_purchase() && !e->purchase().customer_id().empty()) {
            const auto& p = e->purchase();
            sales[{e->header().terminal_id(), p.sale_id()}] = &p;
            Expected& x = out[p.customer_id()];
            ++x.visits;
            x.spend += p.total().minor_units();
            x.lines += p.lines_size();
            x.first = std::min(x.first, ms(*e));
            x.last = std::max(x.last, ms(*e));
            x.days.push_back(ms(*e) / k_day_ms);
            for (const auto& line : p.lines())
                x.departments[line.department()] += line.line_total().minor_units();
        }
        if (e->has_sale_return() && !e->sale_return().customer_id().empty()) {
            const auto& r = e->sale_return();
            Expected& x = out[r.customer_id()];
            x.spend -= r.refund_total().minor_units();
            x.refunds += r.refund_total().minor_units();
            const auto* sale = sales.at({r.original_terminal_id(), r.original_sale_id()});
            for (const auto& back : r.lines())
                for (const auto& line : sale->lines())
                    if (line.line_no() == back.original_line_no())
                        x.departments[line.department()] -= back.refund().minor_units();
        }
    }
    return out;
}

// Over the newest 33 distinct visit days.
double median_gap(std::vector<std::int64_t> days) {
    std::sort(days.begin(), days.end());
    days.erase(std::unique(days.begin(), days.end()), days.end());
    if (days.size() > 33) days.erase(days.begin(), days.end() - 33);
    std::vector<std::int64_t> gaps;
    for (std::size_t i = 1; i < days.size(); ++i)
        gaps.push_back(days[i] - days[i - 1]);
    std::sort(gaps.begin(), gaps.end());
    const std::size_t n = gaps.size();
    return n % 2 == 1 ? static_cast<double>(gaps[n / 2]) : (gaps[n / 2 - 1] + gaps[n / 2]) / 2.0;
}

// A generated chain fed to a new head office database in `dir`.
struct Fed {
    hq::synth::Options options;
    hq::synth::Chain chain;
    std::unique_ptr<hq::Storage> storage;
    Fed(const test::TempDir& dir, hq::synth::Options o, std::size_t batch_events = 500)
        : options(std::move(o)), chain(hq::synth::generate(options)), storage(hq::open_sqlite_storage(dir / "hq.db")) {
        hq::synth::feed(*storage, chain, batch_events);
        REQUIRE(storage->unapplied() == 0);
    }
};

}  // namespace

TEST_CASE("profiles built event by event at ingest match what the events say, for consenting customers only") {
    test::TempDir dir;
    // Batches of 300 across 8 tills: events from different tills are journalled out of time order,
    // as when a till was offline (a return before its sale, purchases before the enrollment).
    const Fed fed(dir, {.seed = 7, .customers = 150, .days = 70, .return_share = 0.05}, 300);
    const auto& chain = fed.chain;
    auto& storage = fed.storage;

    const auto expected = expected_from(chain);
    std::size_t profiled = 0, refunded = 0, with_gaps = 0;
    for (const auto& c : chain.customers) {
        INFO(c.customer_id);
        const auto profile = storage->profile(c.customer_id);
        if (!c.profiling_consent) {
            CHECK_FALSE(profile.has_value());
            continue;
        }
        REQUIRE(profile.has_value());
        ++profiled;
        const Expected& x = expected.at(c.customer_id);
        CHECK(profile->visits == x.visits);
        CHECK(profile->spend == x.spend);
        CHECK(profile->refunds == x.refunds);
        CHECK(profile->lines == x.lines);
        CHECK(profile->first_visit_ms == x.first);
        CHECK(profile->last_visit_ms == x.last);
        CHECK(profile->average_basket() == (x.spend + x.refunds) / x.visits);
        const auto top = std::max_element(x.departments.begin(), x.departments.end(), [](auto& a, auto& b) {
            return a.second < b.second || (a.second == b.second && a.first > b.first);
        });
        REQUIRE_FALSE(profile->favourite_departments.empty());
        CHECK(profile->favourite_departments[0] == std::pair{top->first, top->second});
        if (x.refunds > 0) ++refunded;
        if (profile->median_gap_days) {
            ++with_gaps;
            CHECK(*profile->median_gap_days == Approx(median_gap(x.days)));
        }
    }
    // The data exercised what it should.
    CHECK(profiled > 100);
    CHECK(profiled < chain.customers.size());
    CHECK(refunded > 3);
    CHECK(with_gaps > 100);
}

TEST_CASE("a refresh scores every profile in RFM quintiles and moves tiers by the year's spend") {
    test::TempDir dir;
    const Fed fed(dir, {.seed = 11, .customers = 120, .days = 60});
    const auto& chain = fed.chain;
    const auto& options = fed.options;
    auto& storage = fed.storage;
    const auto now = std::chrono::system_clock::time_point{options.first_day} + std::chrono::days{options.days};

    hq::TierThresholds tiers{.silver = 20'000, .gold = 60'000, .platinum = 150'000};
    const auto refreshed = storage->refresh_profiles(now, tiers);
    std::size_t consenting = 0;
    for (const auto& c : chain.customers)
        consenting += c.profiling_consent ? 1 : 0;
    CHECK(refreshed.profiles == consenting);
    CHECK(refreshed.tiers_changed > 0);

    // Quintiles: each score holds about a fifth of the profiles; better scores for more visits.
    std::map<int, int> by_frequency;
    std::map<int, std::pair<double, int>> visits_by_frequency;
    const auto expected = expected_from(chain);
    for (const auto& c : chain.customers) {
        INFO(c.customer_id);
        // Tier from the year's spend (sales less refunds), with or without consent.
        const auto customer = storage->customer(c.customer_id);
        REQUIRE(customer.has_value());
        const std::int64_t spend = expected.at(c.customer_id).spend;
        const v1::Tier want = spend >= tiers.platinum ? v1::TIER_PLATINUM
                              : spend >= tiers.gold   ? v1::TIER_GOLD
                              : spend >= tiers.silver ? v1::TIER_SILVER
                                                      : v1::TIER_STANDARD;
        CHECK(customer->tier() == want);
        const auto p = storage->profile(c.customer_id);
        if (!p) continue;
        CHECK(p->recency >= 1);
        CHECK(p->recency <= 5);
        CHECK(p->segment == hq::rules::segment_of(p->recency, p->frequency, p->monetary, p->visits));
        ++by_frequency[p->frequency];
        visits_by_frequency[p->frequency].first += static_cast<double>(p->visits);
        visits_by_frequency[p->frequency].second += 1;
    }
    for (int f = 2; f <= 5; ++f) {
        const double mean_lower = visits_by_frequency[f - 1].first / std::max(visits_by_frequency[f - 1].second, 1);
        const double mean_here = visits_by_frequency[f].first / std::max(visits_by_frequency[f].second, 1);
        CHECK(mean_here >= mean_lower);
    }
    CHECK(by_frequency.size() >= 4);
    // A second refresh at the same time changes no tier.
    CHECK(storage->refresh_profiles(now, tiers).tiers_changed == 0);
    // Told to stop (serve shutting down): it leaves off between transactions.
    int asked = 0;
    const auto stopped =
        storage->refresh_profiles(now, {.silver = 1, .gold = 2, .platinum = 3}, {}, [&] { return ++asked > 1; });
    CHECK(stopped.profiles == consenting);  // the one scoring transaction ran
    CHECK(stopped.tiers_changed == 0);      // then it stopped
    CHECK(stopped.rules == 0);
}

TEST_CASE("withdrawing profiling consent deletes the profile, and later purchases build none") {
    test::TempDir dir;
    const Fed fed(dir, {.seed = 3, .customers = 30, .days = 30, .profiling_consent_share = 1.0});
    const auto& chain = fed.chain;
    auto& storage = fed.storage;
    const auto& someone = chain.customers.front();
    REQUIRE(storage->profile(someone.customer_id).has_value());

    // At a till the shopper withdraws consent, then buys again.
    const std::string terminal = chain.terminals[0][0];
    const std::uint64_t next = chain.events.at(terminal).size() + 1;
    v1::EventBatch batch;
    v1::Event& withdraw = *batch.add_events();
    withdraw.mutable_header()->set_terminal_id(terminal);
    withdraw.mutable_header()->set_store_id(chain.stores[0]);
    withdraw.mutable_header()->set_sequence(next);
    auto& change = *withdraw.mutable_consent()->add_changes();
    withdraw.mutable_consent()->set_customer_id(someone.customer_id);
    withdraw.mutable_consent()->set_loyalty_card(someone.loyalty_card);  // the till was shown the card
    change.set_purpose(v1::CONSENT_PURPOSE_PROFILING);
    change.set_granted(false);
    change.set_source(v1::CONSENT_SOURCE_TILL);
    v1::Event buy = chain.events.at(terminal).back();
    buy.mutable_header()->set_sequence(next + 1);
    buy.mutable_purchase()->set_sale_id(terminal + "-LATER-000001");
    buy.mutable_purchase()->set_customer_id(someone.customer_id);
    *batch.add_events() = buy;
    {
        const auto write = storage->begin_journal();
        write->store_batch(terminal, batch, hq::Clock::now());
        write->commit();
    }
    while (storage->apply_stored(100) > 0) {
    }
    CHECK_FALSE(storage->profile(someone.customer_id).has_value());
    CHECK(storage->profile(chain.customers.back().customer_id).has_value());
}

TEST_CASE("serve's refresher scores the profiles on its own connection, soon after it starts") {
    test::TempDir dir;
    const Fed fed(dir, {.seed = 5, .customers = 40, .days = 30, .profiling_consent_share = 1.0});
    const std::string someone = fed.chain.customers.front().customer_id;
    REQUIRE(fed.storage->profile(someone)->recency == 0);  // never refreshed
    hq::ProfileRefresher refresher(hq::open_sqlite_storage(dir / "hq.db"), std::chrono::minutes{60}, {},
                                   std::chrono::seconds{0});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fed.storage->profile(someone)->recency == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    refresher.stop();
    CHECK(fed.storage->profile(someone)->recency > 0);
    CHECK_FALSE(fed.storage->profile(someone)->segment.empty());
}

TEST_CASE("a return that arrives before its sale, and before the customer has a profile, is counted once") {
    test::TempDir dir;
    auto storage = hq::open_sqlite_storage(dir / "hq.db");
    const std::string terminal = "S0001-T01";
    {
        const auto write = storage->begin_journal();
        write->record_hello({.store_id = "S0001",
                             .terminal_id = terminal,
                             .database_id = "db",
                             .id_tag = "TAG01",
                             .software_version = "test",
                             .acked_through = 0,
                             .next_sequence = 4,
                             .catalog_version = 0,
                             .at = hq::Clock::now()});
        write->commit();
    }
    v1::EventBatch batch;
    auto next = [&, sequence = std::uint64_t{0}]() mutable {
        v1::Event& e = *batch.add_events();
        e.mutable_header()->set_terminal_id(terminal);
        e.mutable_header()->set_store_id("S0001");
        e.mutable_header()->set_sequence(++sequence);
        e.mutable_header()->mutable_terminal_time()->set_seconds(1'795'000'000 + static_cast<std::int64_t>(sequence));
        return &e;
    };
    auto* enrollment = next()->mutable_enrollment();
    enrollment->set_customer_id("S0001-T01-TAG01-C000001");
    enrollment->set_loyalty_card("6036000000000013");
    auto* consent = enrollment->add_consents();
    consent->set_purpose(v1::CONSENT_PURPOSE_PROFILING);
    consent->set_granted(true);
    auto* back = next()->mutable_sale_return();  // the sale's till sends it later
    back->set_return_id("R-1");
    back->set_original_sale_id("SALE-1");
    back->set_original_terminal_id(terminal);
    back->set_customer_id("S0001-T01-TAG01-C000001");
    back->mutable_refund_total()->set_minor_units(100);
    auto* returned = back->add_lines();
    returned->set_original_line_no(1);
    returned->mutable_refund()->set_minor_units(100);
    auto* sale = next()->mutable_purchase();
    sale->set_sale_id("SALE-1");
    sale->set_customer_id("S0001-T01-TAG01-C000001");
    sale->mutable_total()->set_minor_units(300);
    auto* line = sale->add_lines();
    line->set_line_no(1);
    line->set_gtin("4006381333931");
    line->set_department("dairy");
    line->mutable_line_total()->set_minor_units(300);
    {
        const auto write = storage->begin_journal();
        write->store_batch(terminal, batch, hq::Clock::now());
        write->commit();
    }
    while (storage->apply_stored(100) > 0) {
    }
    const auto p = storage->profile("S0001-T01-TAG01-C000001");
    REQUIRE(p.has_value());
    CHECK(p->visits == 1);
    CHECK(p->spend == 200);
    CHECK(p->refunds == 100);
    REQUIRE(p->favourite_departments.size() == 1);
    CHECK(p->favourite_departments[0] == std::pair<std::string, std::int64_t>{"dairy", 200});
}

TEST_CASE("a database from before profiles gets its consenting customers' profiles built once, when opened") {
    test::TempDir dir;
    std::string someone;
    std::int64_t visits = 0;
    {
        const Fed fed(dir, {.seed = 4, .customers = 20, .days = 20, .profiling_consent_share = 1.0});
        someone = fed.chain.customers.front().customer_id;
        visits = fed.storage->profile(someone)->visits;
    }
    {
        // As a schema-2 database left it: no profiling flags, no profiles, not backfilled.
        sqlite::Database db(dir / "hq.db");
        db.exec(
            "UPDATE customers SET profiling = 0; DELETE FROM profiles; DELETE FROM profile_departments; "
            "DELETE FROM meta WHERE key = 'profiling_backfilled'");
    }
    auto storage = hq::open_sqlite_storage(dir / "hq.db");
    const auto profile = storage->profile(someone);
    REQUIRE(profile.has_value());
    CHECK(profile->visits == visits);
    CHECK_FALSE(profile->favourite_departments.empty());
}
