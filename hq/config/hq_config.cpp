#include "hq/config/hq_config.hpp"

#include "domain/config/currency_keys.hpp"
#include "domain/config/toml_reader.hpp"

namespace loyalty::hq {

using domain::config_detail::Diagnostics;
using domain::config_detail::TomlReader;

HqConfigResult load_hq_config(const std::filesystem::path& file) {
    HqConfigResult result;
    Diagnostics diag(file.string(), result.errors);
    auto document = domain::config_detail::parse_file(file, diag);
    if (!document) return result;
    const std::filesystem::path base =
        file.has_parent_path() ? std::filesystem::absolute(file).parent_path() : std::filesystem::current_path();
    HqConfig config;
    config.source = file;
    TomlReader root(*document, "", diag);
    if (auto currency = domain::config_detail::read_currency(root)) {
        config.currency = *currency;
        config.alerts.currency = *currency;
    }
    // Whole currency units in the file (and in the defaults): "silver = 500" is 500.00.
    const std::int64_t unit = domain::minor_units_per_unit(config.currency.exponent);
    config.tiers = TierThresholds{500 * unit, 1500 * unit, 4000 * unit};
    if (const toml::table* server = root.table("server")) {
        TomlReader r(*server, "server", diag);
        if (auto listen = r.string("listen")) config.listen_address = *listen;
        if (auto port = r.integer("port", 1, 65535)) config.port = static_cast<std::uint16_t>(*port);
        r.finish();
    }
    if (const toml::table* tls = root.table("tls")) {
        TomlReader r(*tls, "tls", diag);
        if (auto p = r.path("ca_file", base)) config.ca_file = *p;
        if (auto p = r.path("cert_file", base)) config.cert_file = *p;
        if (auto p = r.path("key_file", base)) config.key_file = *p;
        if (auto p = r.path("crl_file", base)) config.crl_file = *p;
        r.finish();
    }
    if (const toml::table* storage = root.table("storage")) {
        TomlReader r(*storage, "storage", diag);
        if (auto p = r.path("database", base)) config.database = *p;
        r.finish();
    }
    if (const toml::table* profiles = root.table("profiles", false)) {
        TomlReader r(*profiles, "profiles", diag);
        if (auto minutes = r.integer("refresh_minutes", 1, 7 * 24 * 60, false))
            config.profile_refresh = std::chrono::minutes{*minutes};
        constexpr std::int64_t k_most = 1'000'000'000;
        if (auto v = r.integer("silver", 0, k_most, false)) config.tiers.silver = *v * unit;
        if (auto v = r.integer("gold", 0, k_most, false)) config.tiers.gold = *v * unit;
        if (auto v = r.integer("platinum", 0, k_most, false)) config.tiers.platinum = *v * unit;
        if (!(config.tiers.silver <= config.tiers.gold && config.tiers.gold <= config.tiers.platinum)) {
            r.error("gold", "tier thresholds must rise: silver <= gold <= platinum");
        }
        r.finish();
    }
    if (const toml::table* alerts = root.table("alerts", false)) {
        TomlReader r(*alerts, "alerts", diag);
        if (auto v = r.integer("max_sales_per_day", 1, 1000, false)) config.alerts.max_sales_per_day = *v;
        if (auto v = r.number("max_kmh", 1, 2000, false)) config.alerts.max_kmh = *v;
        if (auto v = r.number("min_km", 0, 20000, false)) config.alerts.min_km = *v;
        r.finish();
    }
    if (const toml::array* stores = root.array("stores", false)) {
        for (std::size_t i = 0; i < stores->size(); ++i) {
            const toml::node& node = *stores->get(i);
            const std::string key = "stores[" + std::to_string(i + 1) + "]";
            if (!node.is_table()) {
                diag.error(node.source(), key, "must be a table ([[stores]])");
                continue;
            }
            TomlReader store(*node.as_table(), key, diag);
            const auto id = store.string("id");
            const auto latitude = store.number("latitude", -90, 90);
            const auto longitude = store.number("longitude", -180, 180);
            if (id && config.alerts.stores.contains(*id)) store.error("id", "store " + *id + " is listed twice");
            if (id && latitude && longitude) config.alerts.stores[*id] = StoreLocation{*latitude, *longitude};
            store.finish();
        }
    }
    root.finish();
    if (result.errors.empty()) result.config = std::move(config);
    return result;
}

}  // namespace loyalty::hq
