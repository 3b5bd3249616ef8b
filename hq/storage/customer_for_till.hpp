// What head office sends a till about a customer (spec §4 downstream, issue: data minimisation): the
// card(s), display name ("Jane D."), birthday month and day, tier, segment, balance and consents,
// and keyed hashes of the phone and e-mail for lookups; never the phone, e-mail address, family
// name or birth year. A plain function of the customer as head office holds it.
#pragma once

#include <string_view>

#include "loyalty/v1/catalog.pb.h"

namespace loyalty::hq {

// `full` as read from storage (contact filled in); `contact_key` the key the tills hash with.
v1::Customer customer_for_till(v1::Customer full, std::string_view contact_key);

}  // namespace loyalty::hq
