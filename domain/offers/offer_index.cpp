#include "domain/offers/offer_index.hpp"

#include <algorithm>

namespace loyalty::domain::offers {

OfferIndex::OfferIndex(std::vector<v1::Offer> offers) : offers_(std::move(offers)) {
    std::sort(offers_.begin(), offers_.end(),
              [](const v1::Offer& a, const v1::Offer& b) { return a.offer_id() < b.offer_id(); });
    for (std::size_t i = 0; i < offers_.size(); ++i) {
        const v1::Offer& o = offers_[i];
        by_id_[o.offer_id()] = i;
        // An assigned offer applies only to the customers it was assigned to: found through them.
        if (o.targeting().audience() == v1::AUDIENCE_ASSIGNED) continue;
        switch (o.mechanic_case()) {
            case v1::Offer::kPercentOff: file(i, o.percent_off().items()); break;
            case v1::Offer::kAmountOff: file(i, o.amount_off().items()); break;
            case v1::Offer::kBasketThreshold: file(i, o.basket_threshold().qualifying()); break;
            case v1::Offer::kBuyXGetY:
                file(i, o.buy_x_get_y().buy());
                file(i, o.buy_x_get_y().get());
                break;
            case v1::Offer::kMultiBuy: file(i, o.multi_buy().items()); break;
            case v1::Offer::kFreeItem: file(i, o.free_item().item()); break;
            case v1::Offer::kBonusPoints: file(i, o.bonus_points().items()); break;
            case v1::Offer::kPointsMultiplier: file(i, o.points_multiplier().items()); break;
            case v1::Offer::kNextVisitCoupon: file(i, o.next_visit_coupon().trigger()); break;
            case v1::Offer::MECHANIC_NOT_SET: break;
        }
    }
}

void OfferIndex::file(std::size_t index, const v1::ItemSelector& selector) {
    if (selector.whole_basket()) basket_level_.push_back(index);
    for (const auto& gtin : selector.gtins())
        by_gtin_[gtin].push_back(index);
    for (const auto& department : selector.departments())
        by_department_[department].push_back(index);
}

std::vector<const v1::Offer*> OfferIndex::candidates(const std::vector<v1::SaleLine>& lines,
                                                     const CustomerRecord* customer,
                                                     const std::vector<std::string>& codes) const {
    std::vector<std::size_t> hits = basket_level_;
    for (const auto& line : lines) {
        if (auto it = by_gtin_.find(line.gtin()); it != by_gtin_.end())
            hits.insert(hits.end(), it->second.begin(), it->second.end());
        if (auto it = by_department_.find(line.department()); it != by_department_.end()) {
            hits.insert(hits.end(), it->second.begin(), it->second.end());
        }
    }
    if (customer != nullptr) {
        for (const auto& id : customer->assigned_offers) {
            if (auto it = by_id_.find(id); it != by_id_.end()) hits.push_back(it->second);
        }
    }
    for (const auto& code : codes) {
        if (const v1::Offer* owner = code_owner(code)) hits.push_back(by_id_.at(owner->offer_id()));
    }
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
    std::vector<const v1::Offer*> out;
    out.reserve(hits.size());
    for (std::size_t i : hits)
        out.push_back(&offers_[i]);
    return out;
}

const v1::Offer* OfferIndex::code_owner(const std::string& code) const {
    // Longest id first: cut the code at each '-' from the right.
    for (std::size_t dash = code.rfind('-'); dash != std::string::npos && dash > 0; dash = code.rfind('-', dash - 1)) {
        if (dash + 1 == code.size()) continue;  // no serial after this dash
        const v1::Offer* offer = find(code.substr(0, dash));
        if (offer != nullptr && offer->limits().requires_code()) return offer;
    }
    return nullptr;
}

const v1::Offer* OfferIndex::find(const std::string& offer_id) const {
    const auto it = by_id_.find(offer_id);
    return it == by_id_.end() ? nullptr : &offers_[it->second];
}

}  // namespace loyalty::domain::offers
