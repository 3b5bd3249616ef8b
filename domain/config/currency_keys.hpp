// The `currency` and `minor_unit_exponent` keys both configuration files share (the till's
// [terminal] table, head office's root): the code must be an ISO 4217 currency in use; the
// exponent may be left out (ISO 4217's is taken) and, when given, must be ISO 4217's.
#pragma once

#include <optional>

#include "domain/config/toml_reader.hpp"
#include "domain/currency.hpp"

namespace loyalty::domain::config_detail {

// Reads both keys from `table`; nullopt (with the errors reported) when the currency is missing
// (and `required`) or wrong.
std::optional<Currency> read_currency(TomlReader& table, bool required = true);

}  // namespace loyalty::domain::config_detail
