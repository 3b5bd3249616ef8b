// Reports: head office's figures as tables (sales by store, day and department; top products;
// customers by segment and tier), read in one snapshot. Rendering is the command line's
// (hq/cli/report_format).
#pragma once

#include "common/sqlite/database.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

Report run_report(sqlite::Database& db, const ReportRequest& request);

}  // namespace loyalty::hq
