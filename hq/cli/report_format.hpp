// A Report rendered for people (a table: money as amounts, numbers right-aligned), for
// spreadsheets (CSV, RFC 4180: a header row, money as amounts) or for programs (JSON: an array of
// objects keyed by column name, counts and money as numbers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hq/storage/storage.hpp"

namespace loyalty::hq {

enum class ReportFormat { table, csv, json };

std::optional<ReportFormat> report_format(std::string_view name);
// Money columns hold minor units; `exponent` is the currency's decimal places (ISO 4217).
std::string render_report(const Report& report, ReportFormat format, int exponent);

// "2026-12-02T18:30:00": a time in reports (UTC, to the second).
std::string report_time_ms(std::int64_t unix_ms);

}  // namespace loyalty::hq
