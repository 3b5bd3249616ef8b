#include "terminal/store/customer_directory.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace loyalty::terminal {
namespace {

constexpr std::string_view k_select =
    "SELECT c.customer_id, cc.loyalty_card, coalesce(c.given_name, ''), coalesce(c.family_name, ''), "
    "coalesce(c.display_name, ''), coalesce(c.birthday, ''), c.tier, coalesce(c.segment, ''), "
    "c.points_balance, cc.blocked, c.consents "
    "FROM customers c JOIN customer_cards cc ON cc.customer_id = c.customer_id ";

bool profiling_granted(const std::string& consents_blob) {
    v1::ConsentEvent consents;
    if (consents_blob.empty() || !consents.ParseFromString(consents_blob)) return false;
    bool granted = false;  // the latest decision wins
    std::int64_t latest = -1;
    for (const v1::Consent& consent : consents.changes()) {
        if (consent.purpose() != v1::CONSENT_PURPOSE_PROFILING) continue;
        if (consent.recorded_at().seconds() >= latest) {
            latest = consent.recorded_at().seconds();
            granted = consent.granted();
        }
    }
    return granted;
}

int month_of(const std::string& birthday) {
    // "YYYY-MM-DD" or "--MM-DD" (year withheld)
    const std::size_t dash = birthday.find('-', 1);
    if (dash == std::string::npos || dash + 3 > birthday.size()) return 0;
    const int month = (birthday[dash + 1] - '0') * 10 + (birthday[dash + 2] - '0');
    return month >= 1 && month <= 12 ? month : 0;
}

}  // namespace

std::int64_t CustomerDirectory::pending_redemptions(const std::string& customer_id) {
    const std::uint64_t acked = store_.acked_through();
    auto& db = store_.database();
    auto& sum = db.cached("SELECT coalesce(sum(points_redeemed), 0) FROM sales WHERE customer_id = ? AND sequence > ?");
    sum.bind(1, customer_id).bind(2, static_cast<std::int64_t>(acked));
    const std::int64_t pending = sum.step() ? sum.column_int64(0) : 0;
    sum.reset();
    return pending;
}

std::vector<domain::CustomerRecord> CustomerDirectory::find(std::string_view where_sql, std::string_view key,
                                                            std::string_view hashed) {
    auto& select = store_.database().cached(std::string{k_select} + std::string{where_sql});
    select.bind(1, key);
    if (where_sql.find("?2") != std::string_view::npos) select.bind_blob(2, hashed);
    std::vector<domain::CustomerRecord> found;
    while (select.step()) {
        domain::CustomerRecord& c = found.emplace_back();
        c.customer_id = select.column_text(0);
        c.loyalty_card = select.column_text(1);
        c.given_name = select.column_text(2);
        c.family_name = select.column_text(3);
        c.shown_name = select.column_text(4);
        c.birthday_month = month_of(select.column_text(5));
        c.tier = static_cast<v1::Tier>(select.column_int64(6));
        c.segment = select.column_text(7);
        c.points_balance = select.column_int64(8);
        c.blocked = select.column_int64(9) != 0;
        c.profiling_consent = profiling_granted(select.column_blob(10));
    }
    select.reset();
    for (domain::CustomerRecord& c : found) {
        c.points_pending = pending_redemptions(c.customer_id);
        // An assignment past its expiry (a campaign's end) no longer counts.
        auto& assigned = store_.database().cached(
            "SELECT DISTINCT offer_id FROM offer_assignments WHERE customer_id = ? AND (expires_at IS NULL OR "
            "expires_at > ?)");
        assigned.bind(1, c.customer_id).bind(2, sqlite::to_unix_ms(std::chrono::system_clock::now()));
        while (assigned.step())
            c.assigned_offers.push_back(assigned.column_text(0));
        assigned.reset();
        auto& used = store_.database().cached("SELECT offer_id, uses FROM offer_redemptions WHERE customer_id = ?");
        used.bind(1, c.customer_id);
        while (used.step())
            c.redemptions[used.column_text(0)] = static_cast<std::uint32_t>(used.column_int64(1));
        used.reset();
    }
    return found;
}

std::optional<domain::CustomerRecord> CustomerDirectory::find_by_card(std::string_view loyalty_card) {
    auto found = find("WHERE cc.loyalty_card = ?", loyalty_card);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
}

std::vector<domain::CustomerRecord> CustomerDirectory::find_by_phone(std::string_view phone) {
    const auto normalized = domain::normalize_phone(phone);
    if (!normalized) return {};
    return find("WHERE c.phone = ?1 OR c.phone_key = ?2 ORDER BY c.customer_id, cc.loyalty_card", *normalized,
                domain::contact_lookup_key(store_.contact_key(), domain::ContactKind::phone, *normalized));
}

std::vector<domain::CustomerRecord> CustomerDirectory::find_by_email(std::string_view email) {
    const auto normalized = domain::normalize_email(email);
    if (!normalized) return {};
    return find("WHERE c.email = ?1 OR c.email_key = ?2 ORDER BY c.customer_id, cc.loyalty_card", *normalized,
                domain::contact_lookup_key(store_.contact_key(), domain::ContactKind::email, *normalized));
}

}  // namespace loyalty::terminal
