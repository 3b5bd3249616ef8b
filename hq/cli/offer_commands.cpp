// `loyalty-hq offer add|list|retire` and `loyalty-hq assign`: the offers every till gets, and
// targeted offers for one customer (docs/head-office.md "Offers").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sstream>

#include "domain/offers/offer_validation.hpp"
#include "hq/cli/commands.hpp"
#include "hq/cli/table.hpp"

namespace loyalty::hq {
namespace {

int offer_add(CommandContext& context, const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        std::fprintf(stderr, "%s: cannot be read\n", file.c_str());
        return 1;
    }
    v1::CatalogDelta delta;
    google::protobuf::util::JsonParseOptions options;
    const auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &delta, options);
    if (!parsed.ok()) {
        std::fprintf(stderr, "%s: not a catalog file (JSON of loyalty.v1.CatalogDelta): %s\n", file.c_str(),
                     std::string(parsed.message()).c_str());
        return 1;
    }
    int problems = 0;
    std::vector<v1::Offer> offers(delta.offers().begin(), delta.offers().end());
    for (const auto& offer : offers) {
        if (const std::string why = domain::offers::validate_offer(offer, context.config().currency.code);
            !why.empty()) {
            std::fprintf(stderr, "%s: %s\n", file.c_str(), why.c_str());
            ++problems;
        }
    }
    if (delta.has_points_rules()) {
        if (const std::string why = domain::offers::validate_points_rules(delta.points_rules()); !why.empty()) {
            std::fprintf(stderr, "%s: %s\n", file.c_str(), why.c_str());
            ++problems;
        }
    }
    if (problems > 0) {
        std::fprintf(stderr, "%s: nothing added (%d problem%s)\n", file.c_str(), problems, problems == 1 ? "" : "s");
        return 1;
    }
    Storage& storage = context.storage();
    storage.put_offers(offers, delta.has_points_rules() ? &delta.points_rules() : nullptr);
    std::printf("%zu offer(s) added or changed%s; catalog version %llu (terminals pick it up within seconds)\n",
                offers.size(), delta.has_points_rules() ? ", points rules set" : "",
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

int offer_list(CommandContext& context, bool all) {
    Table table({"Offer", "Name", "Kind", "Revision", "State", "Assigned", "Redeemed", "Discount"});
    for (const auto& row : context.storage().offers(all)) {
        const auto* field = row.offer.GetReflection()->GetOneofFieldDescriptor(
            row.offer, row.offer.GetDescriptor()->FindOneofByName("mechanic"));
        table.add({row.offer.offer_id(), row.offer.name(), field ? field->name() : "?",
                   std::to_string(row.offer.revision()), row.retired ? "retired" : "live",
                   std::to_string(row.assignments), std::to_string(row.redemptions),
                   context.money(row.discount_minor_units)});
    }
    std::printf("%s", table.render().c_str());
    return 0;
}

int offer_retire(CommandContext& context, const std::string& offer_id) {
    Storage& storage = context.storage();
    if (!storage.retire_offer(offer_id)) {
        std::fprintf(stderr, "no live offer %s\n", offer_id.c_str());
        return 1;
    }
    std::printf("offer %s retired; catalog version %llu\n", offer_id.c_str(),
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

struct Assignment {
    std::string offer, customer, code;
    unsigned uses = 0, days = 0;
};

int assign(CommandContext& context, const Assignment& a) {
    v1::OfferAssignment assignment;
    assignment.set_offer_id(a.offer);
    assignment.set_customer_id(a.customer);
    assignment.set_code(a.code);
    assignment.set_uses_left(a.uses);
    if (a.days > 0) {
        *assignment.mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
            std::chrono::duration_cast<std::chrono::seconds>(
                (Clock::now() + std::chrono::hours(24) * a.days).time_since_epoch())
                .count());
    }
    Storage& storage = context.storage();
    storage.assign(assignment);
    std::printf("offer %s assigned to %s; catalog version %llu\n", a.offer.c_str(), a.customer.c_str(),
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

struct OfferOptions {
    std::string file;
    bool all = false;
    std::string offer_id;
    Assignment assignment;
};

}  // namespace

void add_offer_commands(Commands& commands) {
    auto o = std::make_shared<OfferOptions>();
    commands.group("offer", "offers sent to every till");
    commands
        .add("offer", "add", "add or change the offers (and points rules) of FILE, a loyalty.v1.CatalogDelta in JSON",
             [o](CommandContext& context) { return offer_add(context, o->file); })
        ->add_option("FILE", o->file, "JSON file")
        ->required()
        ->check(CLI::ExistingFile);
    commands
        .add("offer", "list", "live offers with their redemptions",
             [o](CommandContext& context) { return offer_list(context, o->all); })
        ->add_flag("--all", o->all, "retired offers too");
    commands
        .add("offer", "retire", "withdraw an offer from every till",
             [o](CommandContext& context) { return offer_retire(context, o->offer_id); })
        ->add_option("OFFER", o->offer_id, "offer id")
        ->required();
    auto* assign_cmd = commands.add("", "assign", "assign an offer to one customer (targeted offers)",
                                    [o](CommandContext& context) { return assign(context, o->assignment); });
    assign_cmd->add_option("OFFER", o->assignment.offer, "offer id")->required();
    assign_cmd->add_option("CUSTOMER", o->assignment.customer, "customer id")->required();
    assign_cmd->add_option("--code", o->assignment.code, "a single-use code for the customer");
    assign_cmd->add_option("--uses", o->assignment.uses, "uses allowed (default: as the offer's limits say)");
    assign_cmd->add_option("--days", o->assignment.days, "valid for this many days (default: the offer's validity)");
}

}  // namespace loyalty::hq
