// `loyalty-hq generate`: a seeded synthetic chain's events (stores, tills, customers with habits)
// fed into head office's database, for demos, reports and benchmarks (hq/synth/).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "hq/cli/commands.hpp"
#include "hq/synth/generator.hpp"

namespace loyalty::hq {
namespace {

int generate(CommandContext& context, synth::Options options) {
    options.currency = context.config().currency.code;
    options.first_day = std::chrono::floor<std::chrono::days>(Clock::now()) - std::chrono::days{options.days};
    const auto chain = synth::generate(options);
    synth::feed(context.storage(), chain);
    std::printf("%zu event(s) of %d store(s), %zu customer(s) over %d day(s) stored and applied (seed %llu)\n",
                chain.event_count(), options.stores, chain.customers.size(), options.days,
                static_cast<unsigned long long>(options.seed));
    return 0;
}

}  // namespace

void add_generate_command(Commands& commands) {
    auto o = std::make_shared<synth::Options>();
    auto* command =
        commands.add("", "generate",
                     "feed a seeded synthetic chain's events (stores, tills, customers with habits) into the database",
                     [o](CommandContext& context) { return generate(context, *o); });
    command->add_option("--seed", o->seed, "the same seed gives the same events")->capture_default_str();
    command->add_option("--stores", o->stores)->check(CLI::Range(1, 999))->capture_default_str();
    command->add_option("--tills", o->terminals_per_store, "per store")
        ->check(CLI::Range(1, 99))
        ->capture_default_str();
    command->add_option("--customers", o->customers)->check(CLI::Range(0, 10'000'000))->capture_default_str();
    command->add_option("--days", o->days, "ending today")->check(CLI::Range(1, 3660))->capture_default_str();
    command->add_flag("--fraud", o->fraud,
                      "three customers misbehave: a busy card, impossible travel, returns over purchases");
}

}  // namespace loyalty::hq
