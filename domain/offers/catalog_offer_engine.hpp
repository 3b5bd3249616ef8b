// CatalogOfferEngine: the OfferEngine loyaltyd runs: the offers and points rules of the local
// catalog cache, an OfferIndex over them, and the store's time zone for validity. Prices every
// basket change with price_basket (pricing.hpp).
//
// Threads: used from the daemon's one thread; load() replaces the catalog between two requests.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "domain/offers/offer_engine.hpp"
#include "domain/offers/offer_index.hpp"

namespace date {
class time_zone;
}

namespace loyalty::domain::offers {

class CatalogOfferEngine final : public OfferEngine {
public:
    using WallClock = std::function<std::chrono::system_clock::time_point()>;

    // `time_zone` is an IANA name (the terminal's configuration has already checked it).
    CatalogOfferEngine(std::string store_id, std::string currency, int minor_unit_exponent,
                       const std::string& time_zone, WallClock now = std::chrono::system_clock::now);

    // Replaces the catalog (offers already validated).
    void load(std::vector<v1::Offer> offers, v1::PointsRules rules);

    PricedBasket price(const BasketSnapshot& basket) const override;
    std::vector<v1::OfferSummary> offers_for(const CustomerRecord& customer) const override;
    bool redeems_points() const override { return rules_.point_value_minor_units() > 0; }
    std::int64_t min_redemption() const override { return rules_.min_redemption_points(); }
    bool knows_coupon(const std::string& code) const override;

    const OfferIndex& index() const { return index_; }

private:
    std::string store_id_;
    std::string currency_;
    int exponent_;
    const date::time_zone* zone_;
    WallClock now_;
    OfferIndex index_;
    v1::PointsRules rules_;
};

}  // namespace loyalty::domain::offers
