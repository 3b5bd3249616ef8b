#include "domain/config/currency_keys.hpp"

namespace loyalty::domain::config_detail {

std::optional<Currency> read_currency(TomlReader& table, bool required) {
    const auto code = table.string("currency", required);
    const auto exponent = table.integer("minor_unit_exponent", 0, 4, false);
    if (!code) return std::nullopt;
    const auto iso = iso4217_exponent(*code);
    if (!iso) {
        table.error("currency",
                    "must be an ISO 4217 currency code in use, e.g. \"EUR\" or \"GBP\", got " + quote_text(*code));
        return std::nullopt;
    }
    if (exponent && *exponent != *iso) {
        table.error("minor_unit_exponent", *code + " has " + std::to_string(*iso) + " decimal places (ISO 4217), got " +
                                               std::to_string(*exponent));
        return std::nullopt;
    }
    return Currency{*code, *iso};
}

}  // namespace loyalty::domain::config_detail
