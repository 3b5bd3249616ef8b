#include "domain/offers/offer_validation.hpp"

#include <algorithm>

namespace loyalty::domain::offers {
namespace {

struct Check {
    const v1::Offer& offer;
    const std::string& currency;
    std::string error;

    bool fail(const std::string& field, const std::string& reason) {
        if (error.empty())
            error = "offer " + (offer.offer_id().empty() ? std::string{"(no id)"} : offer.offer_id()) + ": " + field +
                    " " + reason;
        return false;
    }
    bool selector(const v1::ItemSelector& s, const std::string& field, bool basket_allowed = true) {
        if (s.whole_basket() && !basket_allowed) return fail(field, "cannot be the whole basket");
        if (!s.whole_basket() && s.gtins().empty() && s.departments().empty()) {
            return fail(field, "must name GTINs, departments or the whole basket");
        }
        for (const auto& g : s.gtins()) {
            if (g.empty() || g.size() > 20) return fail(field + ".gtins", "must be 1 to 20 characters");
        }
        return true;
    }
    bool money(const v1::Money& m, const std::string& field, bool zero_ok = false) {
        if (!m.currency().empty() && m.currency() != currency) {
            return fail(field, "is in " + m.currency() + ", the till sells in " + currency);
        }
        if (m.minor_units() < 0 || (!zero_ok && m.minor_units() == 0))
            return fail(field, zero_ok ? "must not be negative" : "must be positive");
        return true;
    }
    bool basis_points(std::uint32_t bp, const std::string& field) {
        if (bp < 1 || bp > 10000) return fail(field, "must be 1..10000, got " + std::to_string(bp));
        return true;
    }
    bool local_time(const v1::LocalDateTime& t, const std::string& field) {
        static constexpr int k_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool ok = t.year() >= 2000 && t.year() <= 2200 && t.month() >= 1 && t.month() <= 12 && t.day() >= 1 &&
                        t.day() <= k_days[t.month() - 1] && t.hour() >= 0 && t.hour() <= 23 && t.minute() >= 0 &&
                        t.minute() <= 59 && t.second() >= 0 && t.second() <= 59;
        return ok || fail(field, "is not a date and time");
    }
};

std::int64_t ordinal(const v1::LocalDateTime& t) {
    return ((((static_cast<std::int64_t>(t.year()) * 13 + t.month()) * 32 + t.day()) * 24 + t.hour()) * 60 +
            t.minute()) *
               60 +
           t.second();
}

}  // namespace

std::string validate_offer(const v1::Offer& offer, const std::string& currency) {
    Check c{offer, currency, {}};
    const auto& id = offer.offer_id();
    if (id.empty() || id.size() > 40 || id == "points" ||
        !std::all_of(id.begin(), id.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; })) {
        c.fail("offer_id", "must be 1 to 40 printable characters without spaces (and not \"points\")");
        return c.error;
    }
    if (offer.receipt_text().empty() || offer.receipt_text().size() > 40) {
        c.fail("receipt_text", "must be 1 to 40 characters (it is printed on the receipt)");
    }
    switch (offer.mechanic_case()) {
        case v1::Offer::kPercentOff:
            c.selector(offer.percent_off().items(), "percent_off.items") &&
                c.basis_points(offer.percent_off().basis_points(), "percent_off.basis_points") &&
                (!offer.percent_off().has_max_discount() ||
                 c.money(offer.percent_off().max_discount(), "percent_off.max_discount", true));
            break;
        case v1::Offer::kAmountOff:
            c.selector(offer.amount_off().items(), "amount_off.items") &&
                c.money(offer.amount_off().amount(), "amount_off.amount") &&
                (!offer.amount_off().per_unit() || !offer.amount_off().items().whole_basket() ||
                 c.fail("amount_off.per_unit", "cannot apply per unit to the whole basket"));
            break;
        case v1::Offer::kBasketThreshold: {
            const auto& t = offer.basket_threshold();
            if (!c.selector(t.qualifying(), "basket_threshold.qualifying") ||
                !c.money(t.min_spend(), "basket_threshold.min_spend"))
                break;
            switch (t.reward_case()) {
                case v1::BasketThreshold::kAmountOff: c.money(t.amount_off(), "basket_threshold.amount_off"); break;
                case v1::BasketThreshold::kBasisPointsOff:
                    c.basis_points(t.basis_points_off(), "basket_threshold.basis_points_off");
                    break;
                case v1::BasketThreshold::kBonusPoints:
                    if (t.bonus_points() <= 0 || t.bonus_points() > 1'000'000) {
                        c.fail("basket_threshold.bonus_points", "must be 1..1000000");
                    }
                    break;
                case v1::BasketThreshold::REWARD_NOT_SET: c.fail("basket_threshold", "needs a reward"); break;
            }
            break;
        }
        case v1::Offer::kBuyXGetY: {
            const auto& b = offer.buy_x_get_y();
            c.selector(b.buy(), "buy_x_get_y.buy", false) && c.selector(b.get(), "buy_x_get_y.get", false) &&
                (b.buy_units() >= 1 || c.fail("buy_x_get_y.buy_units", "must be at least 1")) &&
                (b.get_units() >= 1 || c.fail("buy_x_get_y.get_units", "must be at least 1")) &&
                c.basis_points(b.get_basis_points_off(), "buy_x_get_y.get_basis_points_off");
            break;
        }
        case v1::Offer::kMultiBuy: {
            const auto& m = offer.multi_buy();
            if (!c.selector(m.items(), "multi_buy.items", false)) break;
            if (m.units() < 2 || m.units() > 100) {
                c.fail("multi_buy.units", "must be 2..100");
            } else if (m.price_case() == v1::MultiBuy::kPayForUnits) {
                if (m.pay_for_units() < 1 || m.pay_for_units() >= m.units())
                    c.fail("multi_buy.pay_for_units", "must be 1..units-1");
            } else if (m.price_case() == v1::MultiBuy::kBundlePrice) {
                c.money(m.bundle_price(), "multi_buy.bundle_price");
            } else {
                c.fail("multi_buy", "needs pay_for_units or bundle_price");
            }
            break;
        }
        case v1::Offer::kFreeItem:
            c.selector(offer.free_item().item(), "free_item.item", false) &&
                (!offer.free_item().has_min_spend() ||
                 c.money(offer.free_item().min_spend(), "free_item.min_spend", true)) &&
                (offer.free_item().max_units() >= 1 || c.fail("free_item.max_units", "must be at least 1"));
            break;
        case v1::Offer::kBonusPoints: {
            const auto& b = offer.bonus_points();
            c.selector(b.items(), "bonus_points.items") &&
                ((b.points_per_unit() >= 0 && b.points_per_basket() >= 0 && b.points_per_unit() <= 1'000'000 &&
                  b.points_per_basket() <= 1'000'000 && b.points_per_unit() + b.points_per_basket() > 0) ||
                 c.fail("bonus_points", "needs points per unit or per basket, each 0..1000000, not both 0"));
            break;
        }
        case v1::Offer::kPointsMultiplier:
            c.selector(offer.points_multiplier().items(), "points_multiplier.items") &&
                ((offer.points_multiplier().multiplier_percent() > 100 &&
                  offer.points_multiplier().multiplier_percent() <= 10000) ||
                 c.fail("points_multiplier.multiplier_percent", "must be 101..10000"));
            break;
        case v1::Offer::kNextVisitCoupon: {
            const auto& n = offer.next_visit_coupon();
            c.selector(n.trigger(), "next_visit_coupon.trigger") &&
                (!n.coupon_offer_id().empty() || c.fail("next_visit_coupon.coupon_offer_id", "is required")) &&
                (n.valid_days() >= 1 || c.fail("next_visit_coupon.valid_days", "must be at least 1")) &&
                (n.trigger_units() > 0 || n.has_trigger_spend() ||
                 c.fail("next_visit_coupon", "needs trigger_units or trigger_spend"));
            break;
        }
        case v1::Offer::MECHANIC_NOT_SET: c.fail("mechanic", "is missing (percent_off, amount_off, ...)"); break;
    }
    const auto& t = offer.targeting();
    if (t.audience() == v1::AUDIENCE_UNSPECIFIED || !v1::Audience_IsValid(t.audience())) {
        c.fail("targeting.audience", "must be EVERYONE, MEMBERS or ASSIGNED");
    }
    const auto& v = offer.validity();
    if (v.has_starts()) c.local_time(v.starts(), "validity.starts");
    if (v.has_ends()) c.local_time(v.ends(), "validity.ends");
    if (v.has_starts() && v.has_ends() && ordinal(v.ends()) <= ordinal(v.starts()))
        c.fail("validity.ends", "must be after validity.starts");
    if (v.from_minute_of_day() > 1440 || v.to_minute_of_day() > 1440)
        c.fail("validity", "minutes of the day must be 0..1440");
    for (int day : v.days()) {
        if (day < 1 || day > 7) c.fail("validity.days", "must be MONDAY..SUNDAY");
    }
    if (offer.limits().has_budget()) c.money(offer.limits().budget(), "limits.budget", true);
    return c.error;
}

std::string validate_points_rules(const v1::PointsRules& rules) {
    for (std::uint32_t m :
         {rules.silver_multiplier_percent(), rules.gold_multiplier_percent(), rules.platinum_multiplier_percent()}) {
        if (m != 0 && (m < 100 || m > 1000)) return "points rules: tier multipliers must be 100..1000 percent";
    }
    if (rules.points_per_currency_unit() > 1000) return "points rules: points_per_currency_unit must be at most 1000";
    if (rules.min_redemption_points() < 0 || rules.point_value_minor_units() < 0)
        return "points rules: values must not be negative";
    return {};
}

}  // namespace loyalty::domain::offers
