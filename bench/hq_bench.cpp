// hq_bench: head office's own work, without the network (issue [5/5]).
//
//   hq_bench apply [customers] [days]
//     A generated chain's events (hq/synth) journalled in batches of 500 and applied, twice:
//     every customer with profiling consent (profiles kept up to date event by event) and none
//     (no profile work). Prints events/s for journalling and for applying, both ways, the ratio,
//     and the time of a profile refresh (RFM, segments, tiers).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "apply";
    if (mode != "apply") {
        std::fprintf(stderr, "usage: hq_bench apply [customers] [days]\n");
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
