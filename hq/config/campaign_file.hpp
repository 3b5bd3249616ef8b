// A campaign file (TOML; example: firmware-config/examples/campaign-bakery.toml), read by
// `loyalty-hq campaign add`: whom (the [audience]), what offer (an offer id already added, or an
// [offer] table of any kind of spec §3.3), when (starts, ends), the control share, the limit per
// customer, the budget. Every error names the file, line and key, as the other loaders do.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "domain/config/config_error.hpp"
#include "domain/currency.hpp"
#include "loyalty/v1/campaign.pb.h"
#include "loyalty/v1/catalog.pb.h"

namespace loyalty::hq {

struct CampaignFile {
    v1::Campaign campaign;
    std::optional<v1::Offer> offer;  // defined in the file (campaign.owns_offer)
};

struct CampaignFileResult {
    std::optional<CampaignFile> file;  // set only when errors is empty
    domain::ConfigErrors errors;
};

// `currency`: what the offer's and the budget's amounts are in (head office's configuration; the
// budget is written in whole units with up to its decimal places: "budget = 2500.50").
CampaignFileResult load_campaign_file(const std::filesystem::path& file, const domain::Currency& currency);

}  // namespace loyalty::hq
