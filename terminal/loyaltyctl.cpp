// loyaltyctl: talks to the local loyaltyd over its protobuf POS socket, for cashier-side
// scripting and support (spec §2): status, swipe TEXT, basket run FILE, customer show CARD.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <google/protobuf/util/json_util.h>
#include <string>

#include "terminal/config/terminal_config.hpp"
#include "terminal/ctl/pos_client.hpp"
#include "terminal/ctl/receipt.hpp"

namespace {

using namespace loyalty;
using namespace loyalty::terminal;

int fail(const std::string& message) {
    std::fprintf(stderr, "loyaltyctl: %s\n", message.c_str());
    return 1;
}

// Prints a PosError and returns true if the response is one.
bool report_error(const v1::PosResponse& response) {
    if (!response.has_error()) return false;
    const auto& e = response.error();
    std::fprintf(stderr, "error %s: %s%s\n", v1::PosErrorCode_Name(e.code()).substr(15).c_str(), e.message().c_str(),
                 e.field().empty() ? "" : (" (field " + e.field() + ")").c_str());
    return true;
}

int run_basket(PosClient& client, const std::string& file, const ReceiptStyle& style) {
    std::ifstream in(file);
    if (!in) return fail("cannot read " + file);
    std::string line;
    int line_no = 0;
    for (; std::getline(in, line);) {
        ++line_no;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        v1::PosRequest request;
        const auto status = google::protobuf::util::JsonStringToMessage(line, &request);
        if (!status.ok())
            return fail(file + ":" + std::to_string(line_no) + ": not a PosRequest: " + std::string(status.message()));
        const v1::PosResponse response = client.call(request);
        if (report_error(response)) {
            std::fprintf(stderr, "  at %s:%d\n", file.c_str(), line_no);
            return 1;
        }
        if (response.has_sale_completed()) {
            std::printf("%s", format_receipt(response.sale_completed(), style).c_str());
        } else if (response.has_return_completed()) {
            std::printf("%s", format_return(response.return_completed(), style).c_str());
        } else if (response.has_customer()) {
            std::printf("%s", format_customer(response.customer()).c_str());
        } else if (response.has_read()) {
            const auto& read = response.read();
            if (read.has_identified()) std::printf("%s", format_customer(read.identified().customer()).c_str());
            if (read.has_refused()) std::printf("card refused: %s\n", read.refused().message().c_str());
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"loyaltyctl: talk to the local loyaltyd (status, card swipes, scripted baskets, customers)"};
    std::string config_file = "/etc/loyaltyd/terminal.toml";
    std::string socket;
    app.add_option("--config", config_file, "the terminal's configuration, to find its POS socket")
        ->capture_default_str();
    app.add_option("--socket", socket, "loyaltyd's protobuf POS socket (instead of reading --config)");
    app.require_subcommand(1);

    auto* status_cmd = app.add_subcommand("status", "reader, open basket, outbox depth, link to head office");
    std::string swipe_text;
    auto* swipe_cmd = app.add_subcommand("swipe", "inject TEXT as if the card reader had read it");
    swipe_cmd->add_option("TEXT", swipe_text, "raw reader text, e.g. ';6036000000000013=4912101?'")->required();
    auto* basket_cmd = app.add_subcommand("basket", "scripted baskets");
    std::string basket_file;
    auto* basket_run =
        basket_cmd->add_subcommand("run", "send each PosRequest (JSON, one per line) of FILE; print the receipt");
    basket_run->add_option("FILE", basket_file, "JSON lines; blank lines and # comments are skipped")
        ->required()
        ->check(CLI::ExistingFile);
    basket_cmd->require_subcommand(1);
    auto* offers_cmd = app.add_subcommand("offers", "the terminal's offer catalog");
    std::string offers_file;
    auto* offers_import = offers_cmd->add_subcommand(
        "import", "load offers and points rules from FILE (a loyalty.v1.CatalogDelta in JSON), all or nothing");
    offers_import->add_option("FILE", offers_file, "JSON file")->required()->check(CLI::ExistingFile);
    offers_cmd->require_subcommand(1);
    auto* customer_cmd = app.add_subcommand("customer", "customers in the terminal's cache");
    std::string card;
    auto* customer_show = customer_cmd->add_subcommand("show", "the customer behind CARD");
    customer_show->add_option("CARD", card, "loyalty card number")->required();
    customer_cmd->require_subcommand(1);
    CLI11_PARSE(app, argc, argv);

    ReceiptStyle style;
    if (socket.empty()) {
        const auto loaded = load_terminal_config(config_file);
        if (!loaded.config) {
            for (const auto& e : loaded.errors)
                std::fprintf(stderr, "%s\n", e.to_string().c_str());
            return fail("cannot find loyaltyd's socket: give --socket PATH or a valid --config FILE");
        }
        socket = loaded.config->pos.socket.string();
        style.minor_unit_exponent = loaded.config->minor_unit_exponent;
        style.header = "Store " + loaded.config->store_id + "   terminal " + loaded.config->terminal_id;
        style.time_zone = loaded.config->time_zone;
    }

    try {
        PosClient client(socket);
        v1::PosRequest request;
        if (*status_cmd) {
            request.mutable_get_status();
            const auto response = client.call(request);
            if (report_error(response)) return 1;
            std::printf("%s", format_status(response.status()).c_str());
        } else if (*swipe_cmd) {
            request.mutable_inject_read()->set_raw(swipe_text);
            const auto response = client.call(request);
            if (report_error(response)) return 1;
            const auto& read = response.read();
            if (read.repeated()) std::printf("the same card again within the debounce window: counted once\n");
            if (read.has_identified()) std::printf("%s", format_customer(read.identified().customer()).c_str());
            if (read.has_refused()) {
                std::printf("card refused (%s): %s\n",
                            v1::CardRefusalReason_Name(read.refused().reason()).substr(20).c_str(),
                            read.refused().message().c_str());
                return 2;
            }
        } else if (*basket_cmd) {
            return run_basket(client, basket_file, style);
        } else if (*offers_cmd) {
            std::ifstream in(offers_file);
            const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            const auto status =
                google::protobuf::util::JsonStringToMessage(json, request.mutable_import_offers()->mutable_delta());
            if (!status.ok())
                return fail(offers_file + ": not a loyalty.v1.CatalogDelta: " + std::string(status.message()));
            const auto response = client.call(request);
            if (report_error(response)) return 1;
            const auto& done = response.offers_imported();
            std::printf("imported %u offer(s), removed %u; %u live%s\n", done.added_or_changed(), done.removed(),
                        done.live(), done.points_rules() ? "; points rules updated" : "");
        } else if (*customer_cmd) {
            request.mutable_lookup_customer()->set_loyalty_card(card);
            const auto response = client.call(request);
            if (report_error(response)) return 1;
            if (response.matches().customers().empty()) {
                std::printf("no customer holds this card in the terminal's cache\n");
                return 3;
            }
            for (const auto& c : response.matches().customers())
                std::printf("%s", format_customer(c).c_str());
        }
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return 0;
}
