// The rule of a terminal's hello (docs/sync-protocol.md "Restored databases"), with no database:
// what head office's record of the terminal becomes when it says which database it holds and how
// far its events go. A terminal back with another database starts a new numbering (its old events
// stay: database_replaced); one holding fewer events than head office has of the same database was
// restored from a backup: a new numbering from what it saw acknowledged, its new ids tagged anew,
// and it is told so (database_restored) until its hello shows the new tag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hq/rules/journal_rules.hpp"

namespace loyalty::hq::rules {

// What head office holds of the terminal.
struct HeldTerminal {
    std::string database_id;
    std::int64_t epoch = 1;
    std::uint64_t stored_through = 0;
    std::string restored_tag;  // the id tag it had when restored, until it shows another
};

// What the terminal says.
struct HelloFacts {
    std::string terminal_id;
    std::string database_id;
    std::string id_tag;
    std::uint64_t acked_through = 0;
    std::uint64_t next_sequence = 0;
};

// A new numbering of the terminal's events.
struct NewEpoch {
    std::int64_t epoch = 0;
    std::uint64_t stored_through = 0;
    std::optional<std::string> restored_tag;  // set: remember this tag
};

struct HelloPlan {
    bool database_restored = false;  // tell the terminal (Welcome.database_restored)
    bool clear_restored_tag = false;
    std::optional<NewEpoch> new_epoch;
    std::optional<std::string> database_id;  // record this database id
    std::vector<JournalConflict> conflicts;  // database_restored, database_replaced (sequence 0)
};

HelloPlan plan_hello(const HeldTerminal& held, const HelloFacts& hello);

}  // namespace loyalty::hq::rules
