#include "hq/rules/redaction.hpp"

#include <algorithm>

namespace loyalty::hq::rules {

bool redact(v1::Event& event, const std::string& customer_id, const std::vector<std::string>& cards,
            const std::string& pseudonym) {
    auto names = [&](const std::string& id, const std::string& card) {
        return (!id.empty() && id == customer_id) ||
               (!card.empty() && std::find(cards.begin(), cards.end(), card) != cards.end());
    };
    auto rewrite = [&](auto& body) {
        if (!names(body.customer_id(), body.loyalty_card())) return false;
        if (!body.customer_id().empty()) body.set_customer_id(pseudonym);
        body.clear_loyalty_card();
        return true;
    };
    switch (event.body_case()) {
        case v1::Event::kPurchase: return rewrite(*event.mutable_purchase());
        case v1::Event::kSaleReturn: return rewrite(*event.mutable_sale_return());
        case v1::Event::kConsent: return rewrite(*event.mutable_consent());
        case v1::Event::kEnrollment:
            if (!rewrite(*event.mutable_enrollment())) return false;
            event.mutable_enrollment()->clear_contact();
            return true;
        default: return false;
    }
}

}  // namespace loyalty::hq::rules
