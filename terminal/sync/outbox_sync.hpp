// OutboxSync: the terminal's LocalStore as sync::ClientStore, so the SyncClient in loyaltyd reads
// the outbox, records head office's acknowledgements and applies catalog deltas to the cache.
// Offers a delta brings that this till cannot use (another currency, a rule this release does not
// know) are left out with an error in the log; the rest of the delta applies.
//
// Same thread contract as the LocalStore: used on the daemon's event loop only.
#pragma once

#include <string>

#include "sync/client.hpp"
#include "terminal/store/local_store.hpp"

namespace loyalty::terminal {

class OutboxSync : public sync::ClientStore {
public:
    OutboxSync(LocalStore& store, std::string currency) : store_(store), currency_(std::move(currency)) {}

    std::uint64_t acked_through() override { return store_.acked_through(); }
    std::uint64_t last_sequence() override { return store_.last_sequence(); }
    std::string database_id() override { return store_.database_id(); }
    std::string id_tag() override { return store_.id_tag(); }
    std::vector<v1::Event> events_after(std::uint64_t after, std::size_t limit) override;
    void mark_acked(std::uint64_t through) override { store_.mark_acked(through); }
    std::size_t reopen_after(std::uint64_t after) override { return store_.reopen_after(after); }
    void restored_from_backup() override { store_.renew_id_tag(); }
    std::uint64_t catalog_version() override { return store_.catalog_version(); }
    void apply_catalog(const std::vector<v1::CatalogDelta>& parts) override;

private:
    LocalStore& store_;
    std::string currency_;
};

}  // namespace loyalty::terminal
