// hq_bench: head office's own work, without the network (issue [5/5]).
//
//   hq_bench apply [customers] [days]
//     A generated chain's events (hq/synth) journalled in batches of 500 and applied, twice:
//     every customer with profiling consent (profiles kept up to date event by event) and none
//     (no profile work). Prints events/s for journalling and for applying, both ways, the ratio,
//     and the time of a profile refresh (RFM, segments, tiers).
//
//   hq_bench catalog [customers]
//     A full resync (what a new till gets) of 1,000,000 customers (default) with names, phone,
//     e-mail and birthday, as tills get them: display name, birthday month and day, and the keyed
//     lookup hashes. Beside it, the hashing alone. Prints seconds, customers/s, size and RSS.
//
//   hq_bench target [customers]
//     Targeting runs over a chain of 1,000,000 profiled customers (default): the customers, their
//     profiles and three products each written straight into head office's tables (feeding that
//     many through the ingest would take an hour; the targeting reads only these tables), then
//     two campaigns timed: a narrow audience (segments, tiers, an RFM range, bought a product in
//     30 days, no visit in 7) and everyone (the worst case: every customer a member, 90 % assigned
//     the offer). Prints the time, members per second, the uplift report's time and the RSS.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <google/protobuf/util/time_util.h>
#include <random>
#include <string>

#include "common/sqlite/database.hpp"
#include "domain/contact.hpp"
#include "hq/storage/profiles.hpp"
#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"

using namespace loyalty;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Run {
    double journal_per_s = 0;
    double apply_per_s = 0;
    double refresh_s = 0;
    std::size_t events = 0;
};

Run run(const std::filesystem::path& file, const hq::synth::Chain& chain) {
    std::filesystem::remove(file);
    std::filesystem::remove(file.string() + "-wal");
    std::filesystem::remove(file.string() + "-shm");
    auto storage = hq::open_sqlite_storage(file);
    Run r;
    r.events = chain.event_count();
    // Journal every batch first (what the ingest acks), then apply everything (what follows).
    auto start = Clock::now();
    hq::synth::journal(*storage, chain, 500);
    r.journal_per_s = static_cast<double>(r.events) / seconds_since(start);
    start = Clock::now();
    while (storage->apply_stored(500) > 0) {
    }
    r.apply_per_s = static_cast<double>(r.events) / seconds_since(start);
    start = Clock::now();
    storage->refresh_profiles(hq::Clock::now(), {});
    r.refresh_s = seconds_since(start);
    return r;
}

long max_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

// `customers` profiled customers written straight into the tables targeting reads.
void load_profiles(const std::filesystem::path& file, int customers, std::int64_t now_ms) {
    hq::open_sqlite_storage(file);  // the schema
    sqlite::Database db(file);
    std::mt19937_64 random(42);
    const auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
    sqlite::Transaction tx(db);
    auto customer = db.prepare(
        "INSERT INTO customers (customer_id, tier, birthday, member_since, changed_version, profiling) "
        "VALUES (?, ?, ?, ?, 0, 1)");
    auto profile = db.prepare(
        "INSERT INTO profiles (customer_id, visits, spend, first_visit, last_visit, recency, frequency, monetary, "
        "segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto product = db.prepare(
        "INSERT OR IGNORE INTO profile_products (customer_id, gtin, baskets, spend, last_bought) "
        "VALUES (?, ?, 1, 100, ?)");
    char id[32];
    for (int i = 0; i < customers; ++i) {
        std::snprintf(id, sizeof id, "S%04d-T01-BENCH-C%07d", i % 500, i);
        v1::Date birthday;
        birthday.set_month(uniform(1, 12));
        birthday.set_day(uniform(1, 28));
        customer.reset();
        customer.bind_all(id, std::int64_t{uniform(1, 4)})
            .bind_blob(3, birthday.SerializeAsString())
            .bind(4, now_ms - 400 * hq::k_day_ms)
            .run();
        const int r = uniform(1, 5), f = uniform(1, 5), m = uniform(1, 5), visits = uniform(1, 40);
        const std::int64_t last = now_ms - uniform(0, 120) * hq::k_day_ms;
        profile.reset();
        profile
            .bind_all(id, std::int64_t{visits}, std::int64_t{visits * 2500}, last - 200 * hq::k_day_ms, last,
                      std::int64_t{r}, std::int64_t{f}, std::int64_t{m})
            .bind(9, hq::rules::segment_of(r, f, m, visits))
            .run();
        for (int k = 0; k < 3; ++k) {
            product.reset();
            product.bind_all(id, "87" + std::to_string(1000000 + uniform(0, 49)), last - uniform(0, 60) * hq::k_day_ms)
                .run();
        }
    }
    tx.commit();
}

int target(int customers) {
    const auto dir = std::filesystem::temp_directory_path() / ("hq-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "target.db";
    const auto now = std::chrono::system_clock::now();
    const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    auto start = Clock::now();
    load_profiles(file, customers, now_ms);
    std::printf("%d profiled customers loaded in %.1f s (3 products each)\n", customers, seconds_since(start));
    auto storage = hq::open_sqlite_storage(file);
    v1::Offer offer;
    offer.set_offer_id("NARROW");
    offer.set_name("bench");
    offer.mutable_percent_off()->mutable_items()->add_departments("bakery");
    offer.mutable_percent_off()->set_basis_points(1000);
    offer.mutable_targeting()->set_audience(v1::AUDIENCE_ASSIGNED);
    v1::Offer everyone_offer = offer;
    everyone_offer.set_offer_id("EVERYONE");
    storage->put_offers({offer, everyone_offer}, nullptr);
    const auto campaign = [&](const std::string& id) {
        v1::Campaign c;
        c.set_campaign_id(id);
        c.set_name(id);
        c.set_offer_id(id);
        *c.mutable_starts() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(now_ms);
        *c.mutable_ends() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(now_ms + 14 * hq::k_day_ms);
        c.set_control_basis_points(1000);
        return c;
    };
    v1::Campaign narrow = campaign("NARROW");
    auto& a = *narrow.mutable_audience();
    for (const char* s : {"loyal", "at_risk", "champion", "big_spender"})
        a.add_segments(s);
    a.add_tiers(v1::TIER_SILVER);
    a.add_tiers(v1::TIER_GOLD);
    a.mutable_frequency()->set_min(2);
    a.mutable_frequency()->set_max(5);
    auto& bought = *a.add_bought();
    bought.set_gtin("871000007");
    bought.set_within_days(30);
    a.set_lapsed_days(7);
    storage->put_campaign(narrow, nullptr);
    storage->put_campaign(campaign("EVERYONE"), nullptr);
    for (const std::string id : {"NARROW", "EVERYONE"}) {
        start = Clock::now();
        const auto runs = storage->run_campaigns(now, id);
        const double took = seconds_since(start);
        const auto& r = runs.at(0);
        std::printf("targeting %-8s over %d customers: %.2f s (%.0f customers/s), %zu assigned + %zu control\n",
                    id.c_str(), customers, took, customers / took, r.targeted, r.control);
        start = Clock::now();
        const auto u = storage->campaign_uplift(id, now);
        std::printf("uplift report %-8s: %.2f s\n", id.c_str(), seconds_since(start));
    }
    start = Clock::now();
    const auto again = storage->run_campaigns(now);
    std::printf("targeting again (both live, nobody new): %.2f s\n", seconds_since(start));
    std::printf("max RSS %ld MiB\n", max_rss_mib());
    std::filesystem::remove_all(dir);
    return 0;
}

// A full resync of `customers` customers with names, phone, e-mail and birthday: what a new till
// gets. Beside it, the keyed hashing alone (two HMAC-SHA256 per customer), the price of sending
// tills hashes instead of the contact details.
int catalog(int customers) {
    const auto dir = std::filesystem::temp_directory_path() / ("hq-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "catalog.db";
    hq::open_sqlite_storage(file);  // the schema, with its contact key
    {
        sqlite::Database db(file);
        sqlite::Transaction tx(db);
        auto customer = db.prepare(
            "INSERT INTO customers (customer_id, given_name, family_name, email, phone, birthday, member_since, "
            "changed_version) VALUES (?, 'Jane', 'Doe', ?, ?, ?, 0, 1)");
        auto card = db.prepare("INSERT INTO customer_cards (loyalty_card, customer_id) VALUES (?, ?)");
        char id[32], email[48], phone[24], number[24];
        v1::Date birthday;
        birthday.set_month(7);
        birthday.set_day(14);
        for (int i = 0; i < customers; ++i) {
            std::snprintf(id, sizeof id, "S%04d-T01-BENCH-C%07d", i % 500, i);
            std::snprintf(email, sizeof email, "shopper%d@example.com", i);
            std::snprintf(phone, sizeof phone, "+4930%08d", i);
            std::snprintf(number, sizeof number, "6036%012d", i);
            customer.reset();
            customer.bind_all(id, email, phone).bind_blob(4, birthday.SerializeAsString()).run();
            card.reset();
            card.bind_all(number, id).run();
        }
        db.exec("UPDATE meta SET value = 1 WHERE key = 'catalog_version'");
        tx.commit();
    }
    auto storage = hq::open_sqlite_storage(file);
    auto start = Clock::now();
    const auto parts = storage->catalog_since(0, 1 << 20);
    const double took = seconds_since(start);
    std::size_t bytes = 0, sent = 0;
    for (const auto& part : parts) {
        bytes += part.ByteSizeLong();
        sent += static_cast<std::size_t>(part.customers_size());
    }
    std::printf("full resync of %zu customers: %.2f s (%.0f customers/s), %zu parts, %.1f MiB\n", sent, took,
                static_cast<double>(sent) / took, parts.size(), static_cast<double>(bytes) / (1 << 20));
    const std::string key(32, 'k');
    start = Clock::now();
    std::size_t hashed = 0;
    for (int i = 0; i < customers; ++i) {
        hashed += domain::contact_lookup_key(key, domain::ContactKind::phone, "+4930" + std::to_string(10'000'000 + i))
                      .size();
        hashed +=
            domain::contact_lookup_key(key, domain::ContactKind::email, "shopper" + std::to_string(i) + "@example.com")
                .size();
    }
    const double hashing = seconds_since(start);
    std::printf("the keyed hashes alone (2 HMAC-SHA256 per customer, %zu bytes): %.2f s, %.0f %% of the resync\n",
                hashed, hashing, 100.0 * hashing / took);
    std::printf("max RSS %ld MiB\n", max_rss_mib());
    std::filesystem::remove_all(dir);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "apply";
    if (mode == "target") return target(argc > 2 ? std::atoi(argv[2]) : 1'000'000);
    if (mode == "catalog") return catalog(argc > 2 ? std::atoi(argv[2]) : 1'000'000);
    if (mode != "apply") {
        std::fprintf(stderr,
                     "usage: hq_bench apply [customers] [days] | hq_bench target [customers] | hq_bench catalog "
                     "[customers]\n");
        return 2;
    }
    hq::synth::Options options;
    options.customers = argc > 2 ? std::atoi(argv[2]) : 5000;
    options.days = argc > 3 ? std::atoi(argv[3]) : 30;
    options.stores = 10;
    options.first_day =
        std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days{options.days};
    const auto dir = std::filesystem::temp_directory_path() / ("hq-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);

    options.profiling_consent_share = 1.0;
    const auto with = hq::synth::generate(options);
    options.profiling_consent_share = 0.0;
    const auto without = hq::synth::generate(options);  // the same events, nobody consenting
    std::printf("%zu events (%d stores, %d customers, %d days)\n", with.event_count(), options.stores,
                options.customers, options.days);
    const Run on = run(dir / "on.db", with);
    const Run off = run(dir / "off.db", without);
    std::printf("journal (durable, what the ack waits for): %.0f events/s with profiles, %.0f without\n",
                on.journal_per_s, off.journal_per_s);
    std::printf(
        "apply (sales, lines, ledger, customers): %.0f events/s with profile updates, %.0f without; "
        "with/without %.2fx\n",
        on.apply_per_s, off.apply_per_s, on.apply_per_s / off.apply_per_s);
    std::printf("profile refresh (RFM edges, scores, segments, tiers) of %d customers: %.2f s\n", options.customers,
                on.refresh_s);
    std::filesystem::remove_all(dir);
    return 0;
}
