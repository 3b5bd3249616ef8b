#include "terminal/sync/outbox_sync.hpp"

#include <spdlog/spdlog.h>

#include "domain/offers/offer_validation.hpp"

namespace loyalty::terminal {

std::vector<v1::Event> OutboxSync::events_after(std::uint64_t after, std::size_t limit) {
    std::vector<v1::Event> events;
    const auto entries = store_.unacked_events(after, limit);
    events.reserve(entries.size());
    for (const auto& entry : entries) {
        if (!events.emplace_back().ParseFromString(entry.body)) {
            // Written by this program in the same transaction as the sale: unreadable means the
            // disk is failing. The link ends with this reason in the log and status, and is retried.
            throw StoreError("outbox event " + std::to_string(entry.sequence) + " cannot be read");
        }
    }
    return events;
}

void OutboxSync::apply_catalog(const std::vector<v1::CatalogDelta>& parts) {
    const auto refused = store_.apply_catalog(
        parts, [this](const v1::Offer& offer) { return domain::offers::validate_offer(offer, currency_); });
    for (const auto& why : refused)
        spdlog::error("catalog: {} (left out)", why);
}

}  // namespace loyalty::terminal
