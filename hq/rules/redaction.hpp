// Erasure's rule for stored events (docs/head-office.md "Privacy"), with no database: an event
// that names an erased customer (by id or by one of their cards) keeps its figures under the
// pseudonym, without the card and without contact details.
#pragma once

#include <string>
#include <vector>

#include "loyalty/v1/events.pb.h"

namespace loyalty::hq::rules {

// Rewrites `event` when it names the customer; true when it did (and was changed).
bool redact(v1::Event& event, const std::string& customer_id, const std::vector<std::string>& cards,
            const std::string& pseudonym);

}  // namespace loyalty::hq::rules
