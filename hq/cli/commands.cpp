#include "hq/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include "domain/money.hpp"

namespace loyalty::hq {

Storage& CommandContext::storage() {
    if (!storage_) storage_ = open_sqlite_storage(config_.database);
    return *storage_;
}

std::string CommandContext::money(std::int64_t minor_units) const {
    return domain::format_amount(minor_units, config_.currency.exponent);
}

std::string CommandContext::render(const Report& report) const {
    return render_report(report, format_, config_.currency.exponent);
}

CLI::App* Commands::group(const std::string& name, const std::string& description) {
    auto& group = groups_[name];
    if (group == nullptr) {
        group = app_.add_subcommand(name, description);
        group->require_subcommand(1);
    }
    return group;
}

CLI::App* Commands::add(const std::string& parent, const std::string& name, const std::string& description,
                        CommandRun run) {
    CLI::App& under = parent.empty() ? app_ : *groups_.at(parent);
    CLI::App* command = under.add_subcommand(name, description);
    runs_.emplace_back(command, std::move(run));
    return command;
}

void Commands::add_format(CLI::App* command) {
    command->add_option("--format", format_name_, "table, csv or json")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
}

ReportFormat Commands::format() const {
    return report_format(format_name_).value_or(ReportFormat::table);  // checked when parsed
}

const CommandRun* Commands::chosen() const {
    for (const auto& [command, run] : runs_) {
        if (command->parsed()) return &run;
    }
    return nullptr;
}

}  // namespace loyalty::hq
