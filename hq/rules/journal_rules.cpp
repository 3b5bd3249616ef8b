#include "hq/rules/journal_rules.hpp"

#include <cstdint>
#include <google/protobuf/util/time_util.h>

namespace loyalty::hq::rules {

BatchPlan plan_batch(std::string_view terminal_id, std::uint64_t stored_through, const std::vector<BatchEvent>& batch) {
    BatchPlan plan;
    plan.stored_through = stored_through;
    const std::string terminal{terminal_id};
    for (const BatchEvent& event : batch) {
        if (event.sequence == 0 || event.sequence > static_cast<std::uint64_t>(INT64_MAX)) {
            return BatchPlan{
                .refused = "event with sequence " + std::to_string(event.sequence) + " (must be 1 or more)",
                .new_events = {},
                .conflicts = {},
                .stored_through = stored_through};
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::uint64_t sequence = batch[i].sequence;
        if (sequence <= plan.stored_through) continue;  // a replay: held already
        if (sequence > plan.stored_through + 1) {
            plan.conflicts.push_back({"sequence_gap", sequence,
                                      "events " + std::to_string(plan.stored_through + 1) + " to " +
                                          std::to_string(sequence - 1) + " of terminal " + terminal +
                                          " never arrived before " + std::to_string(sequence)});
        }
        if (!batch[i].known) {
            // Kept as it came (a newer till's kind, or a bug): never a reason to stop the backlog.
            plan.conflicts.push_back({"unknown_event", sequence,
                                      "event " + std::to_string(sequence) + " of terminal " + terminal +
                                          " has a body this head office does not know; stored unread"});
        }
        plan.new_events.push_back(i);
        plan.stored_through = sequence;
    }
    return plan;
}

std::int64_t terminal_time_ms(const v1::Event& event, std::int64_t received_ms) {
    return event.header().has_terminal_time()
               ? google::protobuf::util::TimeUtil::TimestampToMilliseconds(event.header().terminal_time())
               : received_ms;
}

}  // namespace loyalty::hq::rules
