// The name of an event's kind as both the terminal's outbox and head office store it:
// "purchase", "void", "return", "enrollment", "consent"; empty for an event with no body (or one
// this build does not know).
#pragma once

#include <string_view>

#include "loyalty/v1/events.pb.h"

namespace loyalty {

inline std::string_view event_kind(const v1::Event& event) {
    switch (event.body_case()) {
        case v1::Event::kPurchase: return "purchase";
        case v1::Event::kVoidSale: return "void";
        case v1::Event::kSaleReturn: return "return";
        case v1::Event::kEnrollment: return "enrollment";
        case v1::Event::kConsent: return "consent";
        case v1::Event::BODY_NOT_SET: break;
    }
    return {};
}

}  // namespace loyalty
