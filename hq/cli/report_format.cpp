#include "hq/cli/report_format.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "domain/currency.hpp"
#include "domain/money.hpp"
#include "hq/cli/table.hpp"

namespace loyalty::hq {
namespace {

std::string cell(const Report::Column& column, const std::string& value, int exponent) {
    // An empty cell is a figure that cannot be given (left blank; null in JSON).
    if (column.kind == Report::Kind::money && !value.empty()) return domain::format_amount(std::stoll(value), exponent);
    return value;
}

std::string csv_field(const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

}  // namespace

std::optional<ReportFormat> report_format(std::string_view name) {
    if (name == "table") return ReportFormat::table;
    if (name == "csv") return ReportFormat::csv;
    if (name == "json") return ReportFormat::json;
    return std::nullopt;
}

std::string render_report(const Report& report, ReportFormat format, int exponent) {
    switch (format) {
        case ReportFormat::table: {
            std::vector<std::string> headers;
            for (const auto& c : report.columns) {
                std::string header = c.name;
                for (auto& ch : header)
                    if (ch == '_') ch = ' ';
                header[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(header[0])));
                headers.push_back(header);
            }
            Table table(headers);
            for (const auto& row : report.rows) {
                std::vector<std::string> cells;
                for (std::size_t i = 0; i < row.size(); ++i)
                    cells.push_back(cell(report.columns[i], row[i], exponent));
                table.add(std::move(cells));
            }
            return report.rows.empty() ? "Nothing to report.\n" : table.render();
        }
        case ReportFormat::csv: {
            std::string out;
            for (std::size_t i = 0; i < report.columns.size(); ++i)
                out += (i > 0 ? "," : "") + report.columns[i].name;
            out += "\r\n";
            for (const auto& row : report.rows) {
                for (std::size_t i = 0; i < row.size(); ++i)
                    out += (i > 0 ? "," : "") + csv_field(cell(report.columns[i], row[i], exponent));
                out += "\r\n";
            }
            return out;
        }
        case ReportFormat::json: {
            google::protobuf::ListValue list;
            for (const auto& row : report.rows) {
                auto& fields = *list.add_values()->mutable_struct_value()->mutable_fields();
                for (std::size_t i = 0; i < row.size(); ++i) {
                    const auto& column = report.columns[i];
                    auto& value = fields[column.name];
                    if (column.kind != Report::Kind::text && row[i].empty()) {
                        value.set_null_value(google::protobuf::NULL_VALUE);
                        continue;
                    }
                    switch (column.kind) {
                        case Report::Kind::text: value.set_string_value(row[i]); break;
                        case Report::Kind::count:
                            value.set_number_value(static_cast<double>(std::stoll(row[i])));
                            break;
                        case Report::Kind::money:
                            value.set_number_value(static_cast<double>(std::stoll(row[i])) /
                                                   static_cast<double>(domain::minor_units_per_unit(exponent)));
                            break;
                    }
                }
            }
            std::string json;
            (void)google::protobuf::util::MessageToJsonString(list, &json);
            return json + "\n";
        }
    }
    return {};
}

std::string report_time_ms(std::int64_t unix_ms) {
    return google::protobuf::util::TimeUtil::ToString(
               google::protobuf::util::TimeUtil::MillisecondsToTimestamp(unix_ms))
        .substr(0, 19);
}

}  // namespace loyalty::hq
