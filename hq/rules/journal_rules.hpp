// The journal's rule (docs/head-office.md "Two steps for an event"), with no database: which
// events of a terminal's batch are new, and what the new ones tell head office.
//
// A terminal sends its outbox in order and sends again only what was not acknowledged, so an event
// is new exactly when its sequence is above the highest one held for the terminal's database (its
// epoch): the high-water mark decides, in every backend. No unique index or ON CONFLICT decides,
// and a replay is recognised even after the journal's partition of its month was dropped. (The
// price: an event older than one already held — only a broken till sends that — is taken for a
// replay.) A sequence that skips ahead is a sequence_gap; a body this head office does not know is
// kept unread as an unknown_event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/v1/events.pb.h"

namespace loyalty::hq::rules {

struct BatchEvent {
    std::uint64_t sequence = 0;
    bool known = true;  // its body is a kind this head office reads
};

struct JournalConflict {
    std::string kind;  // sequence_gap, unknown_event
    std::uint64_t sequence = 0;
    std::string detail;
};

struct BatchPlan {
    std::string refused;                  // non-empty: the whole batch is refused (nothing stored), why
    std::vector<std::size_t> new_events;  // indexes into the batch, in its order
    std::vector<JournalConflict> conflicts;
    std::uint64_t stored_through = 0;  // the high-water mark after the batch
};

BatchPlan plan_batch(std::string_view terminal_id, std::uint64_t stored_through, const std::vector<BatchEvent>& batch);

// The time the journal records for an event: the till's clock when it made it (ms since the
// epoch), or `received_ms` for an event that carries none.
std::int64_t terminal_time_ms(const v1::Event& event, std::int64_t received_ms);

}  // namespace loyalty::hq::rules
