// What head office's storage tests send through the journal: a terminal's hello, numbered
// purchases of store S0042, batches of them.
#pragma once

#include <initializer_list>
#include <string>

#include "hq/storage/storage.hpp"
#include "tests/store/sample_sale.hpp"

namespace loyalty::test {

inline hq::TerminalContact contact(const std::string& terminal, const std::string& database = "db-1") {
    return {.store_id = "S0042",
            .terminal_id = terminal,
            .database_id = database,
            .id_tag = "TAG01",
            .software_version = "0.1.0",
            .acked_through = 0,
            .next_sequence = 1'000'000,  // holds more than head office: no restore
            .catalog_version = 0,
            .at = hq::Clock::now()};
}

inline v1::Event purchase(std::uint64_t sequence, const std::string& terminal = "S0042-T03") {
    v1::Event e = make_purchase(terminal + "-" + std::to_string(sequence), 3, 0);
    e.mutable_header()->set_sequence(sequence);
    e.mutable_header()->set_terminal_id(terminal);
    return e;
}

inline v1::EventBatch batch_of(std::initializer_list<v1::Event> events) {
    v1::EventBatch batch;
    for (const auto& e : events)
        *batch.add_events() = e;
    return batch;
}

}  // namespace loyalty::test
