#include "hq/rules/hello_rules.hpp"

#include <algorithm>

namespace loyalty::hq::rules {

HelloPlan plan_hello(const HeldTerminal& held, const HelloFacts& hello) {
    HelloPlan plan;
    // Told before, but the terminal still makes ids with the tag it had when restored (the Welcome
    // was lost with the link): told again, until its hello shows a new tag.
    if (!held.restored_tag.empty()) {
        if (hello.id_tag == held.restored_tag) {
            plan.database_restored = true;
        } else {
            plan.clear_restored_tag = true;
        }
    }
    const std::uint64_t terminal_holds = hello.next_sequence > 0 ? hello.next_sequence - 1 : 0;
    if (!hello.database_id.empty() && held.database_id == hello.database_id && terminal_holds < held.stored_through) {
        // Restored from a backup: its new events would reuse sequences head office holds. What it
        // saw acknowledged is held (in the old numbering): it sends from there on.
        const std::uint64_t from = std::min(hello.acked_through, terminal_holds);
        plan.conflicts.push_back({"database_restored", 0,
                                  "terminal " + hello.terminal_id + " came back holding events through " +
                                      std::to_string(terminal_holds) + " but head office holds through " +
                                      std::to_string(held.stored_through) +
                                      " (restored from a backup?); its sequences are counted again from " +
                                      std::to_string(from + 1) + " and its new ids are tagged anew"});
        plan.database_restored = true;
        plan.new_epoch = NewEpoch{held.epoch + 1, from, hello.id_tag};
    }
    if (!hello.database_id.empty() && held.database_id != hello.database_id) {
        if (!held.database_id.empty()) {
            plan.conflicts.push_back({"database_replaced", 0,
                                      "terminal " + hello.terminal_id + " came back with another database (" +
                                          hello.database_id + ", was " + held.database_id + "); its events through " +
                                          std::to_string(held.stored_through) +
                                          " are kept and its sequences are counted again from 1"});
            plan.new_epoch = NewEpoch{held.epoch + 1, 0, std::nullopt};
        }
        plan.database_id = hello.database_id;
    }
    return plan;
}

}  // namespace loyalty::hq::rules
