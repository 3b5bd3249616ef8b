// Privacy (GDPR, spec §5): everything held about one customer as JSON, and erasure.
//
// Erasing a customer deletes their personal data (contact, birthday, cards, consents and their
// log, assignments, profile) and pseudonymises their purchase history: sales, returns, ledger
// entries, conflicts and campaign memberships keep their figures under a random pseudonym that
// nothing links back to the person. The customer's row stays as a tombstone (id, erased_at, pseudonym) so that a late
// event from a till that has not heard of the erasure never brings them back: its sale is stored
// under the pseudonym, its card is not attached, its enrollment or consent is dropped (recorded
// as an `erased_customer_event` conflict, without personal data). The journal (events as they
// arrived) is rewritten the same way, the late events as they are applied. The tills forget the
// customer through the catalog (a CUSTOMER_ERASED revocation).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite/database.hpp"
#include "hq/storage/profiles.hpp"

namespace loyalty::hq {

class Privacy {
public:
    // The schema erasure needs (head office's migration 4).
    static std::string_view schema();

    Privacy(sqlite::Database& db, Profiles& profiles) : db_(db), profiles_(profiles) {}

    // Everything held about the customer, as JSON; `customer_json` is their record as the
    // catalog shows it. Nothing for an unknown or erased customer.
    std::optional<std::string> export_json(const std::string& customer_id, const std::string& customer_json);

    // Inside a write transaction; `version` gives the catalog version the revocation carries
    // (asked only when something is erased). Nothing for an unknown customer; an erased one stays
    // as it is.
    std::optional<Erasure> erase(const std::string& customer_id, std::int64_t now_ms,
                                 const std::function<std::int64_t()>& version);

    // The pseudonym of an erased customer; nothing for anyone else.
    std::optional<std::string> pseudonym(const std::string& customer_id);

    // The customer's cards (read before erase() deletes them).
    std::vector<std::string> cards(const std::string& customer_id);

    // Rewrites the journal's stored events that name the customer (by id or by one of `cards`):
    // the pseudonym instead of the id, no card, no contact details. Every event, in pieces of
    // `write` transactions (a scan of the whole journal). Returns how many were rewritten.
    std::size_t redact_journal(const std::string& customer_id, const std::vector<std::string>& cards,
                               const std::string& pseudonym,
                               const std::function<void(const std::function<void()>&)>& write);

private:
    sqlite::Database& db_;
    Profiles& profiles_;
};

}  // namespace loyalty::hq
