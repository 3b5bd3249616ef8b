// OfferIndex: live offers found by what triggers them (spec §3.3: a basket change does not
// re-check every live offer). Each offer is filed under the GTINs and departments its selectors
// name; offers about the whole basket are filed as basket-level; an offer for assigned customers
// only is found through the customers it was assigned to, and only through them. Immutable once built: rebuilt when the
// catalog changes.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "loyalty/v1/catalog.pb.h"
#include "loyalty/v1/common.pb.h"
#include "terminal/lane/customer_record.hpp"

namespace loyalty::terminal::offers {

class OfferIndex {
public:
    OfferIndex() = default;
    // `offers` must have passed validate_offer.
    explicit OfferIndex(std::vector<v1::Offer> offers);

    // The offers this basket and shopper could trigger, each once, in offer-id order.
    std::vector<const v1::Offer*> candidates(const std::vector<v1::SaleLine>& lines,
                                             const CustomerRecord* customer) const;

    const v1::Offer* find(const std::string& offer_id) const;
    const std::vector<v1::Offer>& all() const { return offers_; }
    std::size_t size() const { return offers_.size(); }

private:
    void file(std::size_t index, const v1::ItemSelector& selector);

    std::vector<v1::Offer> offers_;
    std::unordered_map<std::string, std::vector<std::size_t>> by_gtin_;
    std::unordered_map<std::string, std::vector<std::size_t>> by_department_;
    std::vector<std::size_t> basket_level_;
    std::unordered_map<std::string, std::size_t> by_id_;
};

}  // namespace loyalty::terminal::offers
