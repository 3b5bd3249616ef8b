// The till's hot paths, in-process, against a real local store in a temporary folder:
//   1. swipe bytes (track 2 as a serial reader sends it) -> card decoded, customer found among
//      1,000,000 cached customers, card-identified event built (Lane::card_read);
//   2. complete sale: PurchaseEvent built and committed durably (WAL, synchronous=FULL: fsync).
// Usage: terminal_bench [customers=1000000] [swipes=20000] [sales=2000]
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <spdlog/spdlog.h>
#include <string>

#include "bench/bench_stats.hpp"
#include "common/sqlite/database.hpp"
#include "domain/check_digits.hpp"
#include "terminal/lane/lane.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using Steady = std::chrono::steady_clock;

namespace {

std::string card_number(std::uint64_t n) {
    std::string payload = "6036" + std::to_string(10000000000ULL + n);  // 15 digits
    return payload + static_cast<char>('0' + domain::card::luhn_check_digit(payload));
}

void fill_customers(LocalStore& store, std::uint64_t count) {
    auto& db = store.database();
    sqlite::Transaction tx(db);
    auto customer = db.prepare(
        "INSERT INTO customers (customer_id, given_name, family_name, email, phone, tier, segment, points_balance, "
        "origin, updated_at) VALUES (?, 'Given', 'Family', ?, ?, 2, 'regular', ?, 'head_office', 0)");
    auto card = db.prepare("INSERT INTO customer_cards (loyalty_card, customer_id) VALUES (?, ?)");
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::string id = "C" + std::to_string(i);
        customer.bind_all(id, "c" + std::to_string(i) + "@example.com", "+4930" + std::to_string(1000000 + i),
                          static_cast<std::int64_t>(i % 5000));
        customer.run();
        customer.reset();
        card.bind_all(card_number(i), id);
        card.run();
        card.reset();
    }
    tx.commit();
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t customers = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const int swipes = argc > 2 ? std::atoi(argv[2]) : 20'000;
    const int sales = argc > 3 ? std::atoi(argv[3]) : 2'000;
    spdlog::set_level(spdlog::level::warn);  // the per-swipe info log is not what is measured

    const auto dir = std::filesystem::temp_directory_path() / ("terminal-bench-" + std::to_string(::getpid()));
    TerminalConfig config;
    config.store_id = "S0042";
    config.terminal_id = "S0042-T03";
    config.currency = "EUR";
    config.card_ranges = {{"reward card", "6036", 16, CheckDigit::luhn}};
    config.reader.debounce = std::chrono::milliseconds(1500);
    {
        LocalStore store(
            LocalStoreOptions{.data_dir = dir, .terminal_id = config.terminal_id, .store_id = config.store_id});
        const auto start = Steady::now();
        fill_customers(store, customers);
        std::printf("cached customers: %llu (loaded in %.1f s)\n", static_cast<unsigned long long>(customers),
                    std::chrono::duration<double>(Steady::now() - start).count());
    }
    LocalStore store(
        LocalStoreOptions{.data_dir = dir, .terminal_id = config.terminal_id, .store_id = config.store_id});
    domain::NoOffers offers;
    Lane lane(config, store, offers);
    std::size_t identified = 0;
    lane.set_publisher([&](const v1::PosEvent& e) { identified += e.has_card_identified(); });

    std::mt19937_64 random(42);
    bench::Samples swipe;
    for (int i = 0; i < swipes; ++i) {
        const std::string raw = ";" + card_number(random() % customers) + "=4912101?";
        const auto t0 = Steady::now();
        lane.card_read(raw, false, Steady::now() + std::chrono::hours(i));  // never debounced
        swipe.add(Steady::now() - t0);
    }
    if (identified != static_cast<std::size_t>(swipes)) {
        std::fprintf(stderr, "only %zu of %d swipes were identified\n", identified, swipes);
        return 1;
    }
    swipe.print("swipe bytes -> card identified (1M customers)");

    auto request = [&](auto fill) {
        v1::PosRequest r;
        fill(r);
        return lane.handle(r);
    };
    bench::Samples complete;
    for (int i = 0; i < sales; ++i) {
        request([](v1::PosRequest& r) { r.mutable_begin_basket()->set_cashier_id("C-1"); });
        for (int line = 0; line < 10; ++line) {
            request([&](v1::PosRequest& r) {
                auto* item = r.mutable_add_item();
                item->set_gtin("40063813339" + std::to_string(10 + line));
                item->set_description("item");
                item->set_department("grocery");
                item->mutable_quantity()->set_units(1 + line % 3);
                item->mutable_unit_price()->set_minor_units(99 + line);
            });
        }
        const auto t0 = Steady::now();
        const auto done = request([](v1::PosRequest& r) {
            auto* tender = r.mutable_complete_sale()->add_tenders();
            tender->set_kind(v1::TENDER_KIND_CASH);
            tender->mutable_amount()->set_minor_units(100000);
        });
        complete.add(Steady::now() - t0);
        if (!done.has_sale_completed()) {
            std::fprintf(stderr, "sale %d failed: %s\n", i, done.error().message().c_str());
            return 1;
        }
    }
    complete.print("complete sale, 10 lines, durable (fsync)");
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    std::printf("peak RSS of this process: %ld MiB\n", usage.ru_maxrss / 1024);
    std::filesystem::remove_all(dir);
    return 0;
}
