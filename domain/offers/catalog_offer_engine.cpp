#include "domain/offers/catalog_offer_engine.hpp"

#include <date/tz.h>

#include "domain/offers/pricing.hpp"

namespace loyalty::domain::offers {

CatalogOfferEngine::CatalogOfferEngine(std::string store_id, std::string currency, int minor_unit_exponent,
                                       const std::string& time_zone, WallClock now)
    : store_id_(std::move(store_id)),
      currency_(std::move(currency)),
      exponent_(minor_unit_exponent),
      zone_(date::locate_zone(time_zone)),
      now_(std::move(now)) {}

void CatalogOfferEngine::load(std::vector<v1::Offer> offers, v1::PointsRules rules) {
    index_ = OfferIndex(std::move(offers));
    rules_ = std::move(rules);
}

PricedBasket CatalogOfferEngine::price(const BasketSnapshot& basket) const {
    PricingContext context;
    context.store_id = store_id_;
    context.currency = currency_;
    context.minor_unit_exponent = exponent_;
    context.local_now = zone_->to_local(date::floor<std::chrono::seconds>(now_()));
    context.points = rules_;
    context.sale_id = basket.sale_id;
    return price_basket(basket, index_.candidates(basket.lines, basket.customer, basket.coupon_codes), context);
}

std::vector<v1::OfferSummary> CatalogOfferEngine::offers_for(const CustomerRecord& customer) const {
    PricingContext context;
    context.store_id = store_id_;
    context.currency = currency_;
    context.local_now = zone_->to_local(date::floor<std::chrono::seconds>(now_()));
    std::vector<v1::OfferSummary> out;
    for (const auto& id : customer.assigned_offers) {
        const v1::Offer* offer = index_.find(id);
        if (offer == nullptr || !eligible(*offer, &customer, context)) continue;
        v1::OfferSummary summary;
        summary.set_offer_id(offer->offer_id());
        summary.set_receipt_text(offer->receipt_text());
        out.push_back(std::move(summary));
    }
    return out;
}

bool CatalogOfferEngine::knows_coupon(const std::string& code) const {
    return index_.code_owner(code) != nullptr;
}

}  // namespace loyalty::domain::offers
