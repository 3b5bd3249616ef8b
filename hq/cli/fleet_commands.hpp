// `loyalty-hq terminals` (alias `report fleet`) and `loyalty-hq conflicts` (alias `report
// conflicts`): the fleet as head office sees it, headed by the state of the revocation list it
// enforces (with a warning from 7 days before it expires), and the conflicts offline tills could
// not prevent (docs/head-office.md).
#pragma once

#include "hq/cli/report_format.hpp"
#include "hq/config/hq_config.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

int terminals(const HqConfig& config, Storage& storage, ReportFormat format);
int conflicts(Storage& storage, ReportFormat format);

}  // namespace loyalty::hq
