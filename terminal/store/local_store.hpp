// LocalStore: everything a terminal keeps on its own disk, in one SQLite database
// (<data_dir>/terminal.db; schema in docs/local-store.md).
//
// Promises (spec §3.4):
//   * A completed sale, its lines, discounts, tenders, points and its outbound event are written
//     in one transaction, durable (WAL, synchronous=FULL) before record_purchase() returns.
//   * Outbox sequences start at 1, increase by one per event, and are never reused, across
//     restarts and pruning.
//   * The open basket is kept line by line, so it comes back after a crash or power cut.
//   * At open: the data dir is 0700, the database file 0600, `PRAGMA quick_check` passes, and the
//     schema is migrated to the newest version (a newer database is refused).
//   * With a disk budget, a write that would exceed it fails with sqlite::Error::is_disk_full()
//     and changes nothing; the WAL is cut back to 4 MiB after each checkpoint.
//
// Threads: one LocalStore per process, used from one thread or strand. Failures are thrown:
// StoreError for a store that cannot be used or an event it cannot record, sqlite::Error for
// a failed statement (full disk, I/O error); a failed write leaves nothing behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/sqlite/database.hpp"
#include "loyalty/v1/catalog.pb.h"
#include "loyalty/v1/events.pb.h"

namespace loyalty::terminal {

class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using Clock = std::chrono::system_clock;

struct LocalStoreOptions {
    std::filesystem::path data_dir{};
    std::uint64_t disk_budget_bytes = 0;  // 0: no budget beyond the disk itself
    // Tests only: stop migrating at this schema version.
    std::optional<int> schema_target{};
    // Who this terminal is: stamped into every event header that has none; an event naming
    // another terminal is refused.
    std::string terminal_id{};
    std::string store_id{};
};

struct OutboxEntry {
    std::uint64_t sequence = 0;
    std::string kind;  // "purchase", "void", "return", "enrollment", "consent"
    std::string body;  // a serialized loyalty.v1.Event
    Clock::time_point created_at;
};

struct OutboxStats {
    std::uint64_t last_sequence = 0;  // highest sequence ever assigned
    std::uint64_t acked_through = 0;  // highest sequence head office acknowledged
    std::uint64_t depth = 0;          // events not yet acknowledged
};

// A completed sale as kept on this terminal, for returns against it.
struct StoredSaleLine {
    v1::SaleLine line;
    std::int64_t targeted_discount = 0;  // discounts that named this line
    std::int64_t returned_quantity = 0;  // units or grams already returned
    std::int64_t refunded = 0;           // money already refunded for this line
};

struct StoredSale {
    std::string sale_id;
    std::uint64_t sequence = 0;
    std::string loyalty_card;
    std::string customer_id;
    std::string currency;
    std::int64_t subtotal = 0;
    std::int64_t discount_total = 0;
    std::int64_t total = 0;
    std::int64_t points_earned = 0;
    std::int64_t points_redeemed = 0;
    std::int64_t points_reversed = 0;    // by earlier returns
    std::int64_t points_given_back = 0;  // by earlier returns
    std::vector<StoredSaleLine> lines;
    // The offers that applied, with the lines each touched (none for basket-level offers).
    std::vector<std::pair<std::string, std::vector<std::uint32_t>>> offers;
    std::vector<std::string> offers_restored;  // by earlier returns
};

struct OpenBasket {
    std::string sale_id;
    std::string cashier_id;
    std::string currency;
    Clock::time_point opened_at;
    std::string loyalty_card;
    std::string customer_id;
    std::int64_t points_to_redeem = 0;
    std::vector<std::string> coupon_codes;
    std::vector<v1::SaleLine> lines;  // in line_no order
};

class LocalStore {
public:
    static constexpr const char* k_database_file = "terminal.db";

    explicit LocalStore(const LocalStoreOptions& options);

    int schema_version();
    const std::filesystem::path& database_path() const { return db_.path(); }

    // ---- completed sales and other events --------------------------------------------------------

    // Records a completed sale: the sale rows and the event in the outbox, in one durable
    // transaction; the open basket with the same sale id is cleared in it too. Assigns the event's
    // sequence (written into `event`) and returns it.
    std::uint64_t record_purchase(v1::Event& event);

    // Records a return: the returns rows (so the same units cannot be returned twice) and the event.
    std::uint64_t record_return(v1::Event& event);

    // Records an enrollment: the customer and card in the cache (usable at once, offline too) and
    // the event.
    std::uint64_t record_enrollment(v1::Event& event);

    // Records any event: the three above by kind; void and consent go to the outbox alone.
    std::uint64_t record_event(v1::Event& event);

    // The next value of a per-terminal counter: "sale_number", "return_number", "customer_number".
    std::uint64_t next_number(std::string_view counter);

    std::optional<StoredSale> find_sale(const std::string& sale_id);
    // The purchase event of a sale, while the outbox still holds it.
    std::optional<v1::Event> find_purchase_event(const std::string& sale_id);

    // ---- outbox ----------------------------------------------------------------------------------

    // Unacknowledged events with sequence > after_sequence, in order, at most `limit`.
    std::vector<OutboxEntry> unacked_events(std::uint64_t after_sequence, std::size_t limit);
    // Head office holds every event up to `through_sequence`.
    void mark_acked(std::uint64_t through_sequence, Clock::time_point at = Clock::now());
    // Head office lost the events after `after_sequence` (restored from a backup): those the outbox
    // still holds are unacknowledged again, so they are sent again and not pruned meanwhile.
    // Returns how many.
    std::size_t reopen_after(std::uint64_t after_sequence);
    // Deletes events acknowledged before `cutoff`, and the sales and returns older than `cutoff`
    // whose events head office holds; returns how many events were deleted.
    std::size_t prune_acked(Clock::time_point cutoff);
    // Counts the backlog (a scan of the unacknowledged events): for status, not hot paths.
    OutboxStats outbox_stats();
    // The highest sequence head office acknowledged, in two index lookups.
    std::uint64_t acked_through();
    // The highest sequence ever given to an event (one lookup, whatever the backlog).
    std::uint64_t last_sequence();

    // ---- the open basket -------------------------------------------------------------------------

    // Opens a new basket (discarding any other) whose amounts are in `currency`.
    void begin_basket(const std::string& sale_id, const std::string& cashier_id, const std::string& currency,
                      Clock::time_point opened_at);
    // Adds the line, or replaces the line with the same line_no.
    void put_basket_line(const v1::SaleLine& line);
    void remove_basket_line(std::uint32_t line_no);
    void set_basket_customer(const std::string& loyalty_card, const std::string& customer_id);
    void set_basket_points_to_redeem(std::int64_t points);
    // The coupon codes presented for this basket (printable text, no newlines).
    void set_basket_coupons(const std::vector<std::string>& codes);
    std::optional<OpenBasket> open_basket();
    void discard_open_basket();

    // ---- catalog ---------------------------------------------------------------------------------

    std::uint64_t catalog_version();
    // Head office's key for the lookup hashes of phone and e-mail (domain/contact.hpp);
    // empty until the first full resync brought one.
    std::string contact_key();
    // Random, made with the database; head office numbers this terminal's sequences per database.
    std::string database_id();
    // Five random characters (Crockford base32: no I, L, O, U) in every sale, return and customer
    // id this database makes: ids never repeat across a terminal's databases. Empty below schema 8.
    const std::string& id_tag() const { return id_tag_; }
    // A new tag, when head office says this database was restored from a backup: the ids it made
    // after the backup was taken are at head office already and must not be made again.
    void renew_id_tag();

    // Applies a catalog delta from head office (the parts of one delta, in order) in one
    // transaction: offers added, changed and removed, customers (contact, cards, tier, segment,
    // balance when newer), assignments, revocations (used codes, withdrawn assignments, retired
    // offers, erased customers, blocked cards), points rules and the version. With full_resync the
    // cached catalog is dropped first (customers enrolled here and not yet known to head office
    // stay). `accept_offer` returns why an offer cannot be used here ("" to accept); refused
    // offers are left out, and their reasons returned. Throws StoreError (changing nothing) for a
    // delta that does not follow the cached version.
    std::vector<std::string> apply_catalog(const std::vector<v1::CatalogDelta>& parts,
                                           const std::function<std::string(const v1::Offer&)>& accept_offer);

    // Adds or replaces `offers` (by id), removes `removed`, and replaces the points rules when
    // given: all in one transaction. The caller has validated everything.
    void apply_offer_changes(const std::vector<v1::Offer>& offers, const std::vector<std::string>& removed,
                             const v1::PointsRules* rules);
    std::vector<v1::Offer> load_offers();
    std::size_t offer_count();
    // A single-use code already used (here, or elsewhere as head office reported).
    bool coupon_used(const std::string& code);
    v1::PointsRules load_points_rules();

    // For components built on the store (and tests): the connection itself.
    sqlite::Database& database() { return db_; }

private:
    template <typename InsertRows>
    std::uint64_t record(v1::Event& event, std::string_view kind, InsertRows&& insert_rows);
    std::uint64_t append_to_outbox(v1::Event& event, std::string_view kind);
    void insert_sale_rows(const v1::Event& event);
    void insert_return_rows(const v1::Event& event);
    void insert_customer_rows(const v1::Event& event);
    void store_offer(const v1::Offer& offer, std::int64_t now);
    void store_points_rules(const v1::PointsRules& rules, std::int64_t now);

    sqlite::Database db_;
    std::string terminal_id_;
    std::string store_id_;
    std::string id_tag_;
};

// A birthday as stored: "1984-03-07", or "--03-07" without the year; nullopt when none.
std::optional<std::string> birthday_text(const v1::ContactDetails& contact);

// Milliseconds since the Unix epoch, the time format of every table.
using sqlite::from_unix_ms;
using sqlite::to_unix_ms;

}  // namespace loyalty::terminal
