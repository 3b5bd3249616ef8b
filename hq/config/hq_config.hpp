// loyalty-hq's configuration file (TOML; example: firmware-config/examples/hq.toml). Every error
// names the file, line and key, as the terminal's loader does.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "domain/config/config_error.hpp"
#include "domain/currency.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

struct HqConfig {
    // The chain's currency (ISO 4217) and its decimal places: what offers' amounts are checked
    // against, how amounts print, what whole units in the files (tier thresholds, budgets) mean.
    domain::Currency currency;
    std::string listen_address = "0.0.0.0";
    std::uint16_t port = 7443;
    std::filesystem::path ca_file;
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::filesystem::path crl_file;
    std::filesystem::path database;
    // [profiles]: how often serve refreshes RFM scores, segments and tiers; the yearly spend (minor
    // units) from which a customer is silver, gold, platinum.
    std::chrono::minutes profile_refresh{60};
    TierThresholds tiers;
    // [alerts] and [[stores]] (their locations, for impossible travel).
    AlertOptions alerts;
    std::filesystem::path source;
};

struct HqConfigResult {
    std::optional<HqConfig> config;  // set only when errors is empty
    domain::ConfigErrors errors;
};

HqConfigResult load_hq_config(const std::filesystem::path& file);

}  // namespace loyalty::hq
