#include "hq/config/campaign_file.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sstream>

#include "domain/config/toml_reader.hpp"
#include "domain/offers/offer_validation.hpp"

namespace loyalty::hq {
namespace {

using domain::config_detail::Diagnostics;
using domain::config_detail::quote_text;
using domain::config_detail::TomlReader;
using domain::config_detail::type_name;

// The segments rules::segment_of names (hq/rules/profile_rules.hpp).
constexpr std::array<std::string_view, 9> k_segments{"new",   "one_off",     "champion",  "lapsed",    "at_risk",
                                                     "loyal", "big_spender", "promising", "occasional"};
constexpr std::array<std::pair<std::string_view, v1::Tier>, 4> k_tiers{{{"standard", v1::TIER_STANDARD},
                                                                        {"silver", v1::TIER_SILVER},
                                                                        {"gold", v1::TIER_GOLD},
                                                                        {"platinum", v1::TIER_PLATINUM}}};

bool valid_id(const std::string& id) {
    return !id.empty() && id.size() <= 40 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

// A TOML date (UTC midnight) or offset date-time, as milliseconds since the epoch.
std::optional<std::int64_t> read_instant(TomlReader& r, std::string_view key) {
    r.mark_known(key);
    const toml::node* node = r.raw().get(key);
    if (node == nullptr) {
        r.error(key, "required key is missing: a date such as 2026-12-01");
        return std::nullopt;
    }
    using namespace std::chrono;
    const auto days_of = [](const toml::date& d) { return sys_days{year{d.year} / month{d.month} / day{d.day}}; };
    const auto in_range = [&](const toml::date& v) {
        if (v.year >= 2000 && v.year <= 2200) return true;
        r.error(key, "must be a date between the years 2000 and 2200");
        return false;
    };
    if (const auto* d = node->as_date()) {
        const toml::date v = d->get();
        if (!in_range(v)) return std::nullopt;
        if (!year_month_day{year{v.year}, month{v.month}, day{v.day}}.ok()) {
            r.error(key, "is not a calendar date");
            return std::nullopt;
        }
        return duration_cast<milliseconds>(days_of(v).time_since_epoch()).count();
    }
    if (const auto* dt = node->as_date_time()) {
        const toml::date_time v = dt->get();
        if (!in_range(v.date)) return std::nullopt;
        if (!v.offset) {
            r.error(key, "a date-time needs a UTC offset (e.g. 2026-12-01T08:00:00Z), or give a date");
            return std::nullopt;
        }
        const auto local = days_of(v.date) + hours{v.time.hour} + minutes{v.time.minute} + seconds{v.time.second};
        return duration_cast<milliseconds>((local - minutes{v.offset->minutes}).time_since_epoch()).count();
    }
    r.error(key, "must be a date such as 2026-12-01, got " + std::string{type_name(node->type())});
    return std::nullopt;
}

v1::LocalDateTime local_midnight(std::int64_t ms) {
    using namespace std::chrono;
    const auto day = floor<days>(sys_time<milliseconds>{milliseconds{ms}});
    const year_month_day ymd{day};
    v1::LocalDateTime t;
    t.set_year(static_cast<int>(ymd.year()));
    t.set_month(static_cast<int>(static_cast<unsigned>(ymd.month())));
    t.set_day(static_cast<int>(static_cast<unsigned>(ymd.day())));
    return t;
}

// [min, max] of an RFM score.
void read_range(TomlReader& r, std::string_view key, v1::ScoreRange* out, bool& set) {
    const toml::array* a = r.array(key, false);
    if (a == nullptr) return;
    const auto score = [](const toml::node& n) -> std::int64_t {
        return n.is_integer() ? n.as_integer()->get() : std::int64_t{-1};
    };
    if (a->size() != 2 || score((*a)[0]) < 1 || score((*a)[0]) > 5 || score((*a)[1]) < score((*a)[0]) ||
        score((*a)[1]) > 5) {
        r.error(key, "must be [min, max], scores 1 to 5 with min <= max, e.g. [4, 5]");
        return;
    }
    out->set_min(static_cast<std::uint32_t>(score((*a)[0])));
    out->set_max(static_cast<std::uint32_t>(score((*a)[1])));
    set = true;
}

// An array of strings, each checked by `accept` (which reports its own error and says no).
template <typename Accept>
void read_strings(TomlReader& r, std::string_view key, Accept accept) {
    const toml::array* a = r.array(key, false);
    if (a == nullptr) return;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string item = r.full_key(key) + "[" + std::to_string(i + 1) + "]";
        if (!(*a)[i].is_string()) {
            r.diagnostics().error((*a)[i].source(), item, "must be a string");
            continue;
        }
        accept((*a)[i].as_string()->get(), item, (*a)[i].source());
    }
}

// [[audience.bought]] and [[audience.not_bought]]: a product (gtin) or a department, within N days.
void read_purchases(TomlReader& audience, std::string_view key,
                    google::protobuf::RepeatedPtrField<v1::PurchaseCondition>* out) {
    const toml::array* a = audience.array(key, false);
    if (a == nullptr) return;
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string prefix = audience.full_key(key) + "[" + std::to_string(i + 1) + "]";
        if (!(*a)[i].is_table()) {
            audience.diagnostics().error((*a)[i].source(), prefix,
                                         "must be a table: { department = \"bakery\", within_days = 30 }");
            continue;
        }
        TomlReader r(*(*a)[i].as_table(), prefix, audience.diagnostics());
        v1::PurchaseCondition c;
        const auto gtin = r.string("gtin", false);
        const auto department = r.string("department", false);
        if (gtin.has_value() == department.has_value()) r.error("gtin", "give a gtin or a department (one of them)");
        if (gtin && gtin->empty()) r.error("gtin", "must not be empty");
        if (department && department->empty()) r.error("department", "must not be empty");
        if (gtin) c.set_gtin(*gtin);
        if (department) c.set_department(*department);
        if (auto days = r.integer("within_days", 1, 3650)) c.set_within_days(static_cast<std::uint32_t>(*days));
        r.finish();
        *out->Add() = std::move(c);
    }
}

void read_audience(TomlReader& root, v1::CampaignAudience& a) {
    const toml::table* table = root.table("audience", false);
    if (table == nullptr) return;  // every profiled customer
    TomlReader r(*table, "audience", root.diagnostics());
    read_strings(r, "segments", [&](const std::string& s, const std::string& item, const toml::source_region& at) {
        if (std::find(k_segments.begin(), k_segments.end(), s) == k_segments.end()) {
            std::string known;
            for (auto name : k_segments)
                known += (known.empty() ? "" : ", ") + std::string{name};
            r.diagnostics().error(at, item, "unknown segment " + quote_text(s) + ": one of " + known);
            return;
        }
        a.add_segments(s);
    });
    read_strings(r, "tiers", [&](const std::string& s, const std::string& item, const toml::source_region& at) {
        const auto* t = std::find_if(k_tiers.begin(), k_tiers.end(), [&](const auto& pair) { return pair.first == s; });
        if (t == k_tiers.end()) {
            r.diagnostics().error(at, item, "unknown tier " + quote_text(s) + ": standard, silver, gold or platinum");
            return;
        }
        a.add_tiers(t->second);
    });
    bool set = false;
    read_range(r, "recency", a.mutable_recency(), set);
    if (!set) a.clear_recency();
    set = false;
    read_range(r, "frequency", a.mutable_frequency(), set);
    if (!set) a.clear_frequency();
    set = false;
    read_range(r, "monetary", a.mutable_monetary(), set);
    if (!set) a.clear_monetary();
    if (auto days = r.integer("lapsed_days", 1, 3650, false)) a.set_lapsed_days(static_cast<std::uint32_t>(*days));
    if (auto b = r.boolean("birthday_month", false)) a.set_birthday_month(*b);
    read_purchases(r, "bought", a.mutable_bought());
    read_purchases(r, "not_bought", a.mutable_not_bought());
    if (const toml::array* likely = r.array("likely_to_buy", false)) {
        for (std::size_t i = 0; i < likely->size(); ++i) {
            const std::string prefix = "audience.likely_to_buy[" + std::to_string(i + 1) + "]";
            if (!(*likely)[i].is_table()) {
                r.diagnostics().error((*likely)[i].source(), prefix, "must be a table: { gtin = \"...\" }");
                continue;
            }
            TomlReader l(*(*likely)[i].as_table(), prefix, r.diagnostics());
            v1::LikelyToBuy* out = a.add_likely_to_buy();
            if (auto gtin = l.string("gtin")) {
                if (gtin->empty()) l.error("gtin", "must not be empty");
                out->set_gtin(*gtin);
            }
            out->set_min_lift(l.number("min_lift", 1.0, 1e6, false).value_or(1.5));
            out->set_not_within_days(
                static_cast<std::uint32_t>(l.integer("not_within_days", 1, 3650, false).value_or(30)));
            l.finish();
        }
    }
    read_strings(r, "stores", [&](const std::string& s, const std::string& item, const toml::source_region& at) {
        if (s.empty()) {
            r.diagnostics().error(at, item, "must not be empty: a store id such as \"S0001\"");
            return;
        }
        a.add_stores(s);
    });
    r.finish();
}

// The [offer] table as the JSON of a loyalty.v1.Offer (the same names `offer add` reads).
std::optional<v1::Offer> read_offer(TomlReader& root, const toml::table& table) {
    std::ostringstream json;
    json << toml::json_formatter{table};
    v1::Offer offer;
    const auto parsed = google::protobuf::util::JsonStringToMessage(json.str(), &offer);
    if (!parsed.ok()) {
        root.error("offer", "is not an offer (the fields of loyalty.v1.Offer, as in offer add's JSON): " +
                                std::string(parsed.message()));
        return std::nullopt;
    }
    return offer;
}

}  // namespace

CampaignFileResult load_campaign_file(const std::filesystem::path& file, const domain::Currency& currency) {
    CampaignFileResult result;
    Diagnostics diag(file.string(), result.errors);
    auto document = domain::config_detail::parse_file(file, diag);
    if (!document) return result;
    TomlReader root(*document, "", diag);
    CampaignFile out;
    v1::Campaign& c = out.campaign;
    c.set_source(std::filesystem::absolute(file).string());
    if (auto id = root.string("id")) {
        if (valid_id(*id)) {
            c.set_campaign_id(*id);
        } else {
            root.error("id", "must be 1 to 40 capital letters, digits, '-' or '_', got " + quote_text(*id));
        }
    }
    if (auto name = root.string("name")) c.set_name(*name);
    const auto starts = read_instant(root, "starts");
    const auto ends = read_instant(root, "ends");
    if (starts && ends) {
        if (*ends <= *starts) root.error("ends", "must be after starts");
        *c.mutable_starts() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(*starts);
        *c.mutable_ends() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(*ends);
    }
    if (auto share = root.number("control_percent", 0, 90)) {
        c.set_control_basis_points(static_cast<std::uint32_t>(std::lround(*share * 100)));
    }
    if (auto n = root.integer("per_customer", 0, 1000, false)) c.set_per_customer(static_cast<std::uint32_t>(*n));
    if (auto budget = root.number("budget", 0, 1e12, false)) {
        c.mutable_budget()->set_minor_units(
            std::llround(*budget * static_cast<double>(domain::minor_units_per_unit(currency.exponent))));
        c.mutable_budget()->set_currency(currency.code);
    }
    if (auto n = root.integer("max_customers", 0, 100'000'000, false))
        c.set_max_customers(static_cast<std::uint32_t>(*n));
    read_audience(root, *c.mutable_audience());

    root.mark_known("offer");
    const toml::node* offer_node = document->get("offer");
    if (offer_node == nullptr) {
        root.error("offer", "required key is missing: an offer id added with `offer add`, or an [offer] table");
    } else if (const auto* id = offer_node->as_string()) {
        c.set_offer_id(id->get());
        if (c.per_customer() > 0) {
            root.error("per_customer",
                       "applies to an offer defined in the file ([offer]); an offer added before keeps its own "
                       "limits.per_customer");
        }
    } else if (const auto* table = offer_node->as_table()) {
        if (auto offer = read_offer(root, *table)) {
            if (offer->offer_id().empty()) offer->set_offer_id(c.campaign_id());
            offer->set_campaign_id(c.campaign_id());
            if (offer->targeting().audience() == v1::AUDIENCE_UNSPECIFIED) {
                offer->mutable_targeting()->set_audience(v1::AUDIENCE_ASSIGNED);
            }
            // A birthday campaign's coupon counts only in the customer's birthday month.
            if (c.audience().birthday_month()) offer->mutable_targeting()->set_birthday_month(true);
            if (offer->targeting().audience() != v1::AUDIENCE_ASSIGNED) {
                root.error("offer",
                           "targeting.audience must be AUDIENCE_ASSIGNED (or left out): the control group "
                           "must not get the offer");
            }
            if (starts && ends) {
                if (!offer->validity().has_starts())
                    *offer->mutable_validity()->mutable_starts() = local_midnight(*starts);
                if (!offer->validity().has_ends()) *offer->mutable_validity()->mutable_ends() = local_midnight(*ends);
            }
            if (c.per_customer() > 0) offer->mutable_limits()->set_per_customer(c.per_customer());
            if (c.has_budget()) *offer->mutable_limits()->mutable_budget() = c.budget();
            if (const std::string why = domain::offers::validate_offer(*offer, currency.code); !why.empty()) {
                root.error("offer", why);
            }
            c.set_offer_id(offer->offer_id());
            c.set_owns_offer(true);
            out.offer = std::move(*offer);
        }
    } else {
        root.error("offer", "must be an offer id (a string) or an [offer] table, got " +
                                std::string{type_name(offer_node->type())});
    }
    root.finish();
    if (result.errors.empty()) result.file = std::move(out);
    return result;
}

}  // namespace loyalty::hq
