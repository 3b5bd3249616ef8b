// LocalStore::apply_catalog: head office's catalog deltas into the till's cache (spec §4
// downstream). One transaction per delta: the till sees the old catalog or the new one, never a
// mixture.
#include <google/protobuf/util/time_util.h>
#include <set>

#include "domain/contact.hpp"
#include "terminal/store/local_store.hpp"

namespace loyalty::terminal {
namespace {

using google::protobuf::util::TimeUtil;
using sqlite::null_if_empty;

std::optional<std::int64_t> optional_ms(bool present, const google::protobuf::Timestamp& t) {
    return present ? std::optional{TimeUtil::TimestampToMilliseconds(t)} : std::nullopt;
}

void forget_offer(sqlite::Database& db, const std::string& offer_id) {
    db.cached("DELETE FROM offers WHERE offer_id = ?").bind(1, offer_id).run();
    db.cached("DELETE FROM offer_assignments WHERE offer_id = ?").bind(1, offer_id).run();
}

// A customer from head office as the till keeps them: the display name, the birthday's month and
// day, the lookup hashes, never a phone number, e-mail address or full name. From an older head
// office that still sends `contact`, the same is derived here and the rest dropped.
void upsert_customer(sqlite::Database& db, const v1::Customer& c, const std::string& contact_key, std::int64_t now) {
    v1::ConsentEvent consents;
    *consents.mutable_changes() = c.consents();
    std::string consents_blob;
    consents.SerializeToString(&consents_blob);
    const auto& contact = c.contact();
    std::string name = c.display_name();
    if (name.empty()) name = domain::display_name(contact.given_name(), contact.family_name());
    std::uint32_t month = c.birthday_month();
    std::uint32_t day = c.birthday_day();
    if (month == 0 && contact.has_birthday()) {
        month = static_cast<std::uint32_t>(contact.birthday().month());
        day = static_cast<std::uint32_t>(contact.birthday().day());
    }
    std::optional<std::string> birthday;
    if (month >= 1 && month <= 12) {
        char text[16];
        std::snprintf(text, sizeof text, "--%02u-%02u", month, day);
        birthday = text;
    }
    std::string phone_key = c.phone_key();
    if (phone_key.empty())
        if (const auto phone = domain::normalize_phone(contact.phone()))
            phone_key = domain::contact_lookup_key(contact_key, domain::ContactKind::phone, *phone);
    std::string email_key = c.email_key();
    if (email_key.empty())
        if (const auto email = domain::normalize_email(contact.email()))
            email_key = domain::contact_lookup_key(contact_key, domain::ContactKind::email, *email);
    auto& upsert = db.cached(
        "INSERT INTO customers (customer_id, given_name, family_name, email, phone, display_name, birthday, tier, "
        "segment, points_balance, balance_version, consents, member_since, origin, updated_at, phone_key, email_key) "
        "VALUES (?1, NULL, NULL, NULL, NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'head_office', ?10, ?11, ?12) "
        "ON CONFLICT (customer_id) DO UPDATE SET given_name = NULL, family_name = NULL, email = NULL, phone = NULL, "
        "display_name = excluded.display_name, birthday = excluded.birthday, tier = excluded.tier, "
        "segment = excluded.segment, "
        "points_balance = CASE WHEN excluded.balance_version >= balance_version "
        "THEN excluded.points_balance ELSE points_balance END, "
        "balance_version = max(balance_version, excluded.balance_version), consents = excluded.consents, "
        "member_since = excluded.member_since, origin = 'head_office', updated_at = excluded.updated_at, "
        "phone_key = excluded.phone_key, email_key = excluded.email_key");
    upsert
        .bind_all(c.customer_id(), null_if_empty(name), birthday,
                  static_cast<std::int64_t>(c.tier() == v1::TIER_UNSPECIFIED ? v1::TIER_STANDARD : c.tier()),
                  null_if_empty(c.segment()), c.points_balance(), static_cast<std::int64_t>(c.balance_version()))
        .bind_blob(8, consents_blob)
        .bind(9, optional_ms(c.has_member_since(), c.member_since()))
        .bind(10, now);
    if (phone_key.empty()) {
        upsert.bind(11, nullptr);
    } else {
        upsert.bind_blob(11, phone_key);
    }
    if (email_key.empty()) {
        upsert.bind(12, nullptr);
    } else {
        upsert.bind_blob(12, email_key);
    }
    upsert.run();
    // The cards are the ones head office lists; a card it no longer lists is forgotten, unless it
    // is blocked (head office lists blocked cards only as revocations: it stays, refused).
    const std::set<std::string> cards(c.loyalty_cards().begin(), c.loyalty_cards().end());
    std::vector<std::string> gone;
    auto& held = db.cached("SELECT loyalty_card FROM customer_cards WHERE customer_id = ? AND blocked = 0");
    held.bind(1, c.customer_id());
    while (held.step()) {
        std::string card = held.column_text(0);
        if (!cards.contains(card)) gone.push_back(std::move(card));
    }
    held.reset();
    for (const auto& card : gone)
        db.cached("DELETE FROM customer_cards WHERE loyalty_card = ?").bind(1, card).run();
    for (const auto& card : cards) {
        db.cached(
              "INSERT INTO customer_cards (loyalty_card, customer_id) VALUES (?, ?) "
              "ON CONFLICT (loyalty_card) DO UPDATE SET customer_id = excluded.customer_id")
            .bind_all(card, c.customer_id())
            .run();
    }
}

void apply_revocation(sqlite::Database& db, const v1::Revocation& r, std::int64_t now) {
    switch (r.kind()) {
        case v1::REVOCATION_KIND_COUPON_CODE_REDEEMED:
            db.cached("INSERT OR IGNORE INTO revoked_codes (code, revoked_at) VALUES (?, ?)")
                .bind_all(r.code(), r.has_at() ? TimeUtil::TimestampToMilliseconds(r.at()) : now)
                .run();
            break;
        case v1::REVOCATION_KIND_ASSIGNMENT_WITHDRAWN:
            db.cached("DELETE FROM offer_assignments WHERE offer_id = ? AND customer_id = ? AND (? = '' OR code = ?)")
                .bind_all(r.offer_id(), r.customer_id(), r.code(), r.code())
                .run();
            break;
        case v1::REVOCATION_KIND_OFFER_RETIRED: forget_offer(db, r.offer_id()); break;
        case v1::REVOCATION_KIND_CUSTOMER_ERASED:
            // Cards go with the customer (ON DELETE CASCADE); the till's own sales keep no name.
            db.cached("DELETE FROM customers WHERE customer_id = ?").bind(1, r.customer_id()).run();
            db.cached("DELETE FROM offer_assignments WHERE customer_id = ?").bind(1, r.customer_id()).run();
            db.cached("DELETE FROM offer_redemptions WHERE customer_id = ?").bind(1, r.customer_id()).run();
            db.cached("UPDATE sales SET loyalty_card = NULL WHERE customer_id = ?").bind(1, r.customer_id()).run();
            break;
        case v1::REVOCATION_KIND_CARD_BLOCKED:
            // Kept as a blocked card of its customer, whether or not the customer's record (applied
            // before, or after a full resync) still listed it.
            db.cached("UPDATE customer_cards SET blocked = 1 WHERE loyalty_card = ?").bind(1, r.loyalty_card()).run();
            db.cached(
                  "INSERT OR IGNORE INTO customer_cards (loyalty_card, customer_id, blocked) "
                  "SELECT ?, customer_id, 1 FROM customers WHERE customer_id = ?")
                .bind_all(r.loyalty_card(), r.customer_id())
                .run();
            break;
        default: break;  // a kind this software does not know: nothing to forget
    }
}

}  // namespace

std::vector<std::string> LocalStore::apply_catalog(const std::vector<v1::CatalogDelta>& parts,
                                                   const std::function<std::string(const v1::Offer&)>& accept_offer) {
    if (parts.empty()) return {};
    const v1::CatalogDelta& first = parts.front();
    for (const auto& part : parts) {
        if (part.from_version() != first.from_version() || part.to_version() != first.to_version()) {
            throw StoreError("catalog delta parts disagree on their versions");
        }
    }
    sqlite::Transaction tx(db_);
    const std::uint64_t have = catalog_version();
    if (!first.full_resync() && first.from_version() != have) {
        throw StoreError("catalog delta from version " + std::to_string(first.from_version()) +
                         " does not follow the cached version " + std::to_string(have));
    }
    const std::int64_t now = to_unix_ms(Clock::now());
    if (first.full_resync()) {
        db_.exec(
            "DELETE FROM offers; DELETE FROM offer_assignments; DELETE FROM customers WHERE origin = "
            "'head_office'");
    }
    // A new contact key comes with every customer hashed under it (head office sends them all).
    std::string contact_key = this->contact_key();
    for (const auto& part : parts) {
        if (!part.has_contact_key() || part.contact_key().key().empty()) continue;
        contact_key = part.contact_key().key();
        db_.cached(
               "INSERT INTO contact_key (id, key, since_version) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
               "key = excluded.key, since_version = excluded.since_version")
            .bind_blob(1, contact_key)
            .bind(2, static_cast<std::int64_t>(part.contact_key().since_version()))
            .run();
    }
    std::vector<std::string> refused;
    for (const auto& part : parts) {
        for (const auto& offer : part.offers()) {
            std::string why = accept_offer ? accept_offer(offer) : std::string{};
            if (!why.empty()) {
                // Its assignments stay: a corrected revision of the offer finds them.
                db_.cached("DELETE FROM offers WHERE offer_id = ?").bind(1, offer.offer_id()).run();
                refused.push_back(std::move(why));
                continue;
            }
            store_offer(offer, now);
        }
        for (const auto& id : part.removed_offer_ids())
            forget_offer(db_, id);
        for (const auto& customer : part.customers())
            upsert_customer(db_, customer, contact_key, now);
        for (const auto& a : part.assignments()) {
            auto& assign = db_.cached(
                "INSERT OR REPLACE INTO offer_assignments (offer_id, customer_id, code, uses_left, expires_at) "
                "VALUES (?, ?, ?, ?, ?)");
            assign
                .bind_all(a.offer_id(), a.customer_id(), a.code(), static_cast<std::int64_t>(a.uses_left()),
                          optional_ms(a.has_expires_at(), a.expires_at()))
                .run();
        }
        for (const auto& r : part.revocations())
            apply_revocation(db_, r, now);
        if (part.has_points_rules()) store_points_rules(part.points_rules(), now);
    }
    db_.cached("UPDATE catalog_versions SET version = ?, updated_at = ? WHERE component = 'catalog'")
        .bind_all(static_cast<std::int64_t>(first.to_version()), now)
        .run();
    tx.commit();
    return refused;
}

}  // namespace loyalty::terminal
