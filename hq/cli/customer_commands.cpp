// `loyalty-hq customer show|export|erase|profile`, `loyalty-hq profiles refresh` and
// `loyalty-hq contact-key rotate`: one customer's data and what head office derives from it
// (docs/head-office.md "Privacy", "Profiles").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <google/protobuf/util/json_util.h>

#include "hq/cli/commands.hpp"

namespace loyalty::hq {
namespace {

int customer_show(CommandContext& context, const std::string& id) {
    const auto customer = context.storage().customer(id);
    if (!customer) {
        std::fprintf(stderr, "no customer %s\n", id.c_str());
        return 1;
    }
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(*customer, &json, options);
    std::printf("%s", json.c_str());
    return 0;
}

int customer_export(CommandContext& context, const std::string& id) {
    const auto json = context.storage().export_customer(id);
    if (!json) {
        std::fprintf(stderr, "no customer %s (unknown, or erased)\n", id.c_str());
        return 1;
    }
    std::printf("%s", json->c_str());
    return 0;
}

int customer_erase(CommandContext& context, const std::string& id) {
    Storage& storage = context.storage();
    const auto erased = storage.erase_customer(id);
    if (!erased) {
        std::fprintf(stderr, "no customer %s\n", id.c_str());
        return 1;
    }
    if (erased->already) {
        std::printf("customer %s was erased before; nothing to do\n", id.c_str());
        return 0;
    }
    std::printf(
        "customer %s erased: personal data deleted, %zu sale(s) and %zu return(s) kept under %s; the tills forget "
        "them with catalog version %llu\n",
        id.c_str(), erased->sales, erased->returns, erased->pseudonym.c_str(),
        static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

int customer_profile(CommandContext& context, const std::string& id) {
    Storage& storage = context.storage();
    if (!storage.customer(id)) {
        std::fprintf(stderr, "no customer %s\n", id.c_str());
        return 1;
    }
    const auto p = storage.profile(id);
    if (!p) {
        std::printf("%s: no profile (no profiling consent)\n", id.c_str());
        return 0;
    }
    std::printf("Customer        %s\n", id.c_str());
    std::printf("Visits          %lld (first %s, last %s)\n", static_cast<long long>(p->visits),
                report_time_ms(p->first_visit_ms).c_str(), report_time_ms(p->last_visit_ms).c_str());
    std::printf("Spend           %s (refunds %s), average basket %s\n", context.money(p->spend).c_str(),
                context.money(p->refunds).c_str(), context.money(p->average_basket()).c_str());
    if (p->median_gap_days) std::printf("Rhythm          a visit every %.1f days (median)\n", *p->median_gap_days);
    if (p->recency > 0) {
        std::printf("RFM             R%d F%d M%d, segment %s\n", p->recency, p->frequency, p->monetary,
                    p->segment.c_str());
    }
    if (p->churn_ratio) std::printf("Churn ratio     %.2f (days since last visit / own median gap)\n", *p->churn_ratio);
    std::string departments;
    for (const auto& [department, spend] : p->favourite_departments)
        departments += (departments.empty() ? "" : ", ") + department + " " + context.money(spend);
    std::printf("Departments     %s\n", departments.c_str());
    std::string products;
    for (const auto& [gtin, baskets] : p->favourite_products)
        products += (products.empty() ? "" : ", ") + gtin + " x" + std::to_string(baskets);
    std::printf("Products        %s\n", products.c_str());
    return 0;
}

int profiles_refresh(CommandContext& context) {
    Storage& storage = context.storage();
    const auto done = storage.refresh_profiles(Clock::now(), context.config().tiers);
    std::printf("%zu profile(s) scored, %zu tier(s) changed, %zu bought-together rule(s); catalog version %llu\n",
                done.profiles, done.tiers_changed, done.rules,
                static_cast<unsigned long long>(storage.catalog_version()));
    return 0;
}

int contact_key_rotate(CommandContext& context) {
    std::printf("contact key rotated; catalog version %llu (every till gets every customer again)\n",
                static_cast<unsigned long long>(context.storage().rotate_contact_key()));
    return 0;
}

}  // namespace

void add_customer_commands(Commands& commands) {
    auto id = std::make_shared<std::string>();
    commands.group("customer", "customers");
    const std::tuple<const char*, const char*, int (*)(CommandContext&, const std::string&)> each[] = {
        {"show", "everything held about one customer, as JSON", customer_show},
        {"export", "everything held about one customer as JSON (a subject access request)", customer_export},
        {"erase", "delete one customer's personal data, keep their purchases only under a pseudonym, tell the tills",
         customer_erase},
        {"profile", "what head office knows from the purchases", customer_profile}};
    for (const auto& [name, description, run] : each) {
        commands
            .add("customer", name, description, [id, run = run](CommandContext& context) { return run(context, *id); })
            ->add_option("CUSTOMER", *id, "customer id")
            ->required();
    }
    commands.group("profiles", "customer profiles");
    commands.add("profiles", "refresh", "RFM scores, segments and tiers now (serve does it periodically)",
                 profiles_refresh);
    commands.group("contact-key", "the key tills hash phone numbers and e-mail addresses with");
    commands.add("contact-key", "rotate", "a new key: every customer goes to the tills again, hashed under it",
                 contact_key_rotate);
}

}  // namespace loyalty::hq
