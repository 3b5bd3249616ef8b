// `loyalty-hq campaign add|list|pause|resume|retire|run` and `loyalty-hq report campaigns`:
// what the command line prints for campaigns (docs/head-office.md).
#pragma once

#include <string>
#include <vector>

#include "hq/cli/report_format.hpp"
#include "hq/config/hq_config.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

// Reads the campaign file, stores it (with its offer) and targets it at once. 0 on success.
int campaign_add(Storage& storage, const HqConfig& config, const std::string& file);
int campaign_list(Storage& storage, ReportFormat format);
// Pause, resume (state LIVE) or retire.
int campaign_set_state(Storage& storage, const std::string& campaign_id, v1::CampaignState state);
// Targets every live campaign, or only `campaign_id`, now.
int campaign_run(Storage& storage, const std::string& campaign_id);
// Assigned, redeemed, cost and uplift with its 95 % interval, per campaign (all when `ids` is empty).
int campaign_report(Storage& storage, const std::vector<std::string>& ids, ReportFormat format);

}  // namespace loyalty::hq
