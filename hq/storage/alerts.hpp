// Fraud signals (issue [5/5], item 4), found over a window of sales and returns:
//   busy_card          a customer's card used for more than `max_sales_per_day` sales in one (UTC) day
//   impossible_travel  two sales of one customer at stores `min_km` or more apart, closer in time than
//                      travelling at `max_kmh` allows (store locations from the configuration)
//   returns_exceed     a customer refunded more than they bought in the window
// Erased customers' pseudonymised history is left out. `loyalty-hq alerts` lists them. The SQL
// reads the figures; what counts as an alert is hq/rules/alert_rules.hpp's to say (the busy-card
// query reads only the days over the limit the rule is given).
#pragma once

#include "common/sqlite/database.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

std::vector<Alert> find_alerts(sqlite::Database& db, const AlertOptions& options, std::int64_t from_ms,
                               std::int64_t to_ms);

}  // namespace loyalty::hq
