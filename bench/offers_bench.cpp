// Add item -> new totals for a 100-line basket against 10,000 live offers (spec §6: p99 <= 0.5 ms),
// through the indexed engine loyaltyd runs and through a naive evaluator that hands every live
// offer to the same pricing function; the ratio is printed.
// Usage: offers_bench [baskets=500] [offers=10000] [naive_every=10 (0: never, for profiling)]
#include <cstdlib>
#include <random>
#include <string>

#include "bench/bench_stats.hpp"
#include "domain/offers/catalog_offer_engine.hpp"
#include "domain/offers/offer_validation.hpp"
#include "domain/offers/pricing.hpp"

using namespace loyalty;
using namespace loyalty::domain;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int k_catalog_gtins = 20'000;
constexpr int k_departments = 200;

std::string gtin(int n) {
    return "400" + std::to_string(1'000'000'000 + n);
}
std::string department(int n) {
    return "dept-" + std::to_string(n);
}

// A grocer's promotion mix: mostly single-product deals, some department deals, a few basket-level
// and points offers.
std::vector<v1::Offer> make_offers(int count, std::mt19937& random) {
    std::vector<v1::Offer> offers;
    for (int i = 0; i < count; ++i) {
        v1::Offer o;
        o.set_offer_id("OFF" + std::to_string(i));
        o.set_receipt_text("offer " + std::to_string(i));
        o.mutable_targeting()->set_audience(i % 3 == 0 ? v1::AUDIENCE_MEMBERS : v1::AUDIENCE_EVERYONE);
        const int kind = static_cast<int>(random() % 100);
        v1::ItemSelector product;
        product.add_gtins(gtin(static_cast<int>(random() % k_catalog_gtins)));
        v1::ItemSelector dept;
        dept.add_departments(department(static_cast<int>(random() % k_departments)));
        if (kind < 35) {
            *o.mutable_percent_off()->mutable_items() = product;
            o.mutable_percent_off()->set_basis_points(500 + static_cast<std::uint32_t>(random() % 3000));
        } else if (kind < 55) {
            *o.mutable_amount_off()->mutable_items() = product;
            o.mutable_amount_off()->mutable_amount()->set_minor_units(10 + static_cast<std::int64_t>(random() % 100));
            o.mutable_amount_off()->set_per_unit(true);
        } else if (kind < 70) {
            *o.mutable_multi_buy()->mutable_items() = product;
            o.mutable_multi_buy()->set_units(3);
            o.mutable_multi_buy()->set_pay_for_units(2);
        } else if (kind < 78) {
            *o.mutable_buy_x_get_y()->mutable_buy() = product;
            o.mutable_buy_x_get_y()->mutable_get()->add_gtins(gtin(static_cast<int>(random() % k_catalog_gtins)));
            o.mutable_buy_x_get_y()->set_buy_units(1);
            o.mutable_buy_x_get_y()->set_get_units(1);
            o.mutable_buy_x_get_y()->set_get_basis_points_off(10000);
        } else if (kind < 83) {
            *o.mutable_percent_off()->mutable_items() = dept;
            o.mutable_percent_off()->set_basis_points(500);
            o.mutable_stacking()->set_exclusivity_group("dept");
        } else if (kind < 93) {
            *o.mutable_bonus_points()->mutable_items() = product;
            o.mutable_bonus_points()->set_points_per_unit(10);
        } else if (kind < 98) {
            o.mutable_targeting()->set_audience(v1::AUDIENCE_ASSIGNED);  // targeted coupons: not this shopper's
            o.mutable_amount_off()->mutable_items()->set_whole_basket(true);
            o.mutable_amount_off()->mutable_amount()->set_minor_units(500);
        } else {
            auto* t = o.mutable_basket_threshold();
            t->mutable_qualifying()->set_whole_basket(true);
            t->mutable_min_spend()->set_minor_units(5000 + static_cast<std::int64_t>(random() % 10000));
            t->mutable_amount_off()->set_minor_units(500);
            o.mutable_stacking()->set_exclusivity_group("threshold");
        }
        offers.push_back(std::move(o));
    }
    return offers;
}

std::vector<v1::SaleLine> make_basket(int lines, std::mt19937& random) {
    std::vector<v1::SaleLine> out;
    for (int i = 0; i < lines; ++i) {
        v1::SaleLine l;
        l.set_line_no(static_cast<std::uint32_t>(i + 1));
        const int g = static_cast<int>(random() % k_catalog_gtins);
        l.set_gtin(gtin(g));
        l.set_department(department(g % k_departments));
        const std::int64_t units = 1 + static_cast<std::int64_t>(random() % 3);
        const std::int64_t price = 50 + static_cast<std::int64_t>(random() % 950);
        l.mutable_quantity()->set_units(units);
        l.mutable_unit_price()->set_minor_units(price);
        l.mutable_line_total()->set_minor_units(units * price);
        out.push_back(std::move(l));
    }
    return out;
}

std::int64_t total_discount(const domain::PricedBasket& priced) {
    std::int64_t sum = 0;
    for (const auto& d : priced.discounts)
        sum += d.amount().minor_units();
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    const int baskets = argc > 1 ? std::atoi(argv[1]) : 500;
    const int offer_count = argc > 2 ? std::atoi(argv[2]) : 10'000;
    const int naive_every = argc > 3 ? std::atoi(argv[3]) : 10;
    std::mt19937 random(7);
    auto offers = make_offers(offer_count, random);
    for (const auto& o : offers) {
        if (const auto problem = domain::offers::validate_offer(o, "EUR"); !problem.empty()) {
            std::fprintf(stderr, "bench offer invalid: %s\n", problem.c_str());
            return 1;
        }
    }
    domain::offers::CatalogOfferEngine engine("S0042", "EUR", 2, "Europe/Berlin");
    v1::PointsRules rules;
    rules.set_points_per_currency_unit(1);
    engine.load(offers, rules);
    std::vector<const v1::Offer*> everything;
    for (const auto& o : engine.index().all())
        everything.push_back(&o);

    domain::CustomerRecord customer;
    customer.customer_id = "C1";
    customer.loyalty_card = "6036000000000013";
    customer.tier = v1::TIER_GOLD;
    const std::string currency = "EUR";
    const std::string store = "S0042";
    const std::string sale_id = "S0042-T03-000001";
    const std::vector<std::string> codes;
    domain::offers::PricingContext context;
    context.store_id = store;
    context.currency = currency;
    context.points = rules;

    // The two evaluators run in separate passes over the same baskets: an 8 ms naive pricing just
    // before an indexed one would leave it cold caches no till sees.
    std::vector<std::vector<v1::SaleLine>> baskets_lines;
    for (int b = 0; b < baskets; ++b)
        baskets_lines.push_back(make_basket(100, random));
    bench::Samples indexed;
    bench::Samples naive;
    std::size_t candidates = 0;
    std::size_t discounts = 0;
    std::vector<std::int64_t> fast_totals;
    for (const auto& lines : baskets_lines) {
        const domain::BasketSnapshot basket{sale_id, lines, currency, &customer, store, 0, codes};
        const auto t0 = Steady::now();
        const domain::PricedBasket fast = engine.price(basket);
        indexed.add(Steady::now() - t0);
        candidates += engine.index().candidates(lines, &customer).size();
        discounts += fast.discounts.size();
        fast_totals.push_back(total_discount(fast));
    }
    for (int b = 0; naive_every > 0 && b < baskets; b += naive_every) {  // the naive path is slow: sample it
        const domain::BasketSnapshot basket{
            sale_id, baskets_lines[static_cast<std::size_t>(b)], currency, &customer, store, 0, codes};
        const auto t0 = Steady::now();
        const domain::PricedBasket slow = domain::offers::price_basket(basket, everything, context);
        naive.add(Steady::now() - t0);
        if (total_discount(slow) != fast_totals[static_cast<std::size_t>(b)]) {
            std::fprintf(stderr, "indexed and naive disagree on basket %d: %lld vs %lld\n", b,
                         static_cast<long long>(fast_totals[static_cast<std::size_t>(b)]),
                         static_cast<long long>(total_discount(slow)));
            return 1;
        }
    }
    std::printf("%d live offers; 100-line baskets; %.1f candidate offers and %.1f discount lines per basket\n",
                offer_count, static_cast<double>(candidates) / baskets, static_cast<double>(discounts) / baskets);
    indexed.print("add item -> totals, indexed engine");
    if (naive_every > 0) {
        naive.print("add item -> totals, naive (every offer)");
        std::printf("naive / indexed, p50: %.1fx\n", naive.p50() / indexed.p50());
    }
    return 0;
}
