// The best-deal search against an independent exhaustive search: for small baskets and up to 8
// competing offers, every way of giving each unit to one offer (or none) is tried, and the
// largest total saving must equal the engine's.
#include <catch2/catch.hpp>
#include <random>

#include "domain/offers/offer_validation.hpp"
#include "domain/offers/pricing.hpp"

using namespace loyalty;
using namespace loyalty::domain;

namespace {

struct Item {
    std::string gtin;
    std::int64_t price;
};

// What `offer` saves when it owns exactly `owned` (unit prices), by the offer's own definition.
std::int64_t saving_of(const v1::Offer& offer, std::vector<std::int64_t> owned) {
    std::sort(owned.rbegin(), owned.rend());
    std::int64_t saving = 0;
    if (offer.has_percent_off()) {
        for (std::int64_t p : owned)
            saving += (p * offer.percent_off().basis_points() + 5000) / 10000;
    } else if (offer.has_amount_off()) {
        for (std::int64_t p : owned)
            saving += std::min(p, offer.amount_off().amount().minor_units());
    } else if (offer.has_multi_buy()) {
        const std::size_t n = offer.multi_buy().units();
        const std::size_t pay = offer.multi_buy().pay_for_units();
        for (std::size_t g = 0; g + n <= owned.size(); g += n) {
            for (std::size_t k = pay; k < n; ++k)
                saving += owned[g + k];
        }
    }
    return saving;
}

bool reaches(const v1::Offer& offer, const std::string& gtin) {
    const v1::ItemSelector& s = offer.has_percent_off()  ? offer.percent_off().items()
                                : offer.has_amount_off() ? offer.amount_off().items()
                                                         : offer.multi_buy().items();
    return std::find(s.gtins().begin(), s.gtins().end(), gtin) != s.gtins().end();
}

// Every assignment of units to offers (or to none).
std::int64_t exhaustive(const std::vector<Item>& units, const std::vector<v1::Offer>& offers) {
    std::vector<std::size_t> owner(units.size(), 0);  // 0 = none, k = offers[k-1]
    std::int64_t best = 0;
    for (;;) {
        bool possible = true;
        std::vector<std::vector<std::int64_t>> owned(offers.size());
        for (std::size_t u = 0; u < units.size() && possible; ++u) {
            if (owner[u] == 0) continue;
            const v1::Offer& o = offers[owner[u] - 1];
            if (!reaches(o, units[u].gtin)) possible = false;
            owned[owner[u] - 1].push_back(units[u].price);
        }
        if (possible) {
            std::int64_t total = 0;
            for (std::size_t k = 0; k < offers.size(); ++k)
                total += saving_of(offers[k], owned[k]);
            best = std::max(best, total);
        }
        std::size_t i = 0;
        while (i < owner.size() && ++owner[i] > offers.size())
            owner[i++] = 0;
        if (i == owner.size()) return best;
    }
}

}  // namespace

TEST_CASE("best deal equals an exhaustive search over unit assignments, up to 8 competing offers") {
    std::mt19937 random(1122);
    const std::vector<std::string> gtins{"A", "B", "C"};
    int compared = 0;
    for (int round = 0; round < 400; ++round) {
        std::vector<v1::SaleLine> lines;
        std::vector<Item> units;
        const int line_count = 1 + static_cast<int>(random() % 3);
        for (int l = 0; l < line_count; ++l) {
            v1::SaleLine line;
            line.set_line_no(static_cast<std::uint32_t>(l + 1));
            line.set_gtin(gtins[static_cast<std::size_t>(l)]);
            line.set_department("d");
            const std::int64_t count = 1 + static_cast<std::int64_t>(random() % 3);
            const std::int64_t price = 1 + static_cast<std::int64_t>(random() % 400);
            line.mutable_quantity()->set_units(count);
            line.mutable_unit_price()->set_minor_units(price);
            line.mutable_line_total()->set_minor_units(count * price);
            for (std::int64_t k = 0; k < count; ++k)
                units.push_back({line.gtin(), price});
            lines.push_back(std::move(line));
        }
        if (units.size() > 7) continue;
        std::vector<v1::Offer> offers;
        const int offer_count = 1 + static_cast<int>(random() % (units.size() <= 5 ? 8 : 4));
        for (int k = 0; k < offer_count; ++k) {
            v1::Offer o;
            o.set_offer_id("O" + std::to_string(k));
            o.set_receipt_text("o");
            o.mutable_targeting()->set_audience(v1::AUDIENCE_EVERYONE);
            v1::ItemSelector items;
            for (const auto& g : gtins) {
                if (random() % 2) items.add_gtins(g);
            }
            if (items.gtins().empty()) items.add_gtins(gtins[random() % gtins.size()]);
            switch (random() % 3) {
                case 0:
                    *o.mutable_percent_off()->mutable_items() = items;
                    o.mutable_percent_off()->set_basis_points(100 + static_cast<std::uint32_t>(random() % 9900));
                    break;
                case 1:
                    *o.mutable_amount_off()->mutable_items() = items;
                    o.mutable_amount_off()->mutable_amount()->set_minor_units(
                        1 + static_cast<std::int64_t>(random() % 300));
                    o.mutable_amount_off()->set_per_unit(true);
                    break;
                default:
                    *o.mutable_multi_buy()->mutable_items() = items;
                    o.mutable_multi_buy()->set_units(2 + static_cast<std::uint32_t>(random() % 2));
                    o.mutable_multi_buy()->set_pay_for_units(1);
            }
            REQUIRE(domain::offers::validate_offer(o, "EUR").empty());
            offers.push_back(std::move(o));
        }
        std::vector<const v1::Offer*> candidates;
        for (const auto& o : offers)
            candidates.push_back(&o);
        const std::string sale_id = "S";
        const std::string currency = "EUR";
        const std::string store = "S0042";
        const std::vector<std::string> codes;
        const domain::BasketSnapshot basket{sale_id, lines, currency, nullptr, store, 0, codes};
        domain::offers::PricingContext context;
        context.currency = currency;
        const domain::PricedBasket priced = domain::offers::price_basket(basket, candidates, context);
        std::int64_t engine = 0;
        for (const auto& d : priced.discounts)
            engine += d.amount().minor_units();
        INFO("round " << round << ": " << units.size() << " units, " << offers.size() << " offers");
        const std::int64_t best = exhaustive(units, offers);
        if (engine != best) {
            std::string dump;
            for (const auto& u : units)
                dump += u.gtin + "@" + std::to_string(u.price) + " ";
            dump += "| ";
            for (const auto& o : offers)
                dump += o.ShortDebugString() + " | ";
            dump += "engine: ";
            for (const auto& d : priced.discounts)
                dump += d.offer_id() + "=" + std::to_string(d.amount().minor_units()) + " ";
            UNSCOPED_INFO(dump);
        }
        CHECK(engine == best);
        ++compared;
    }
    CHECK(compared > 200);
}
