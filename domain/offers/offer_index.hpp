// OfferIndex: live offers found by what triggers them (spec §3.3: a basket change does not
// re-check every live offer). Each offer is filed under the GTINs and departments its selectors
// name; offers about the whole basket are filed as basket-level; an offer for assigned customers
// only is found through the customers it was assigned to, and only through them. Immutable once built: rebuilt when the
// catalog changes.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "domain/offers/customer_record.hpp"
#include "loyalty/v1/catalog.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::domain::offers {

class OfferIndex {
public:
    OfferIndex() = default;
    // `offers` must have passed validate_offer.
    explicit OfferIndex(std::vector<v1::Offer> offers);

    // The offers this basket and shopper could trigger, each once, in offer-id order; with the
    // owner of every coupon code presented (so a code's owner is known whatever the basket holds).
    std::vector<const v1::Offer*> candidates(const std::vector<v1::SaleLine>& lines, const CustomerRecord* customer,
                                             const std::vector<std::string>& codes = {}) const;

    // The offer a coupon code "<offer id>-<serial>" belongs to: the one needing a code with the
    // longest id the code starts with ("SAVE-10-0001" is SAVE-10's, not SAVE's); nullptr if none.
    const v1::Offer* code_owner(const std::string& code) const;

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

}  // namespace loyalty::domain::offers
