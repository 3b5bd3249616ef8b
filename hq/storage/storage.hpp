// Storage: everything head office keeps (spec §5 storage), behind an interface so a PostgreSQL
// backend can take SQLite's place for chains that outgrow one machine. SqliteStorage
// (sqlite_storage.hpp) is the one there is today.
//
// Sync's writes (hello, batches, disconnects) go through a JournalWrite, the transaction object
// the ingest's writer thread uses to commit many terminals' batches durably at once (group
// commit): each call on it succeeds or changes nothing (a savepoint each), none is durable before
// commit() returns, and one dropped without commit() leaves nothing.
//
// Two steps for an event: store_batch() puts it in the journal (the events table: what a terminal
// is acknowledged for, each once); apply_stored() then applies journalled events in the order they
// were stored to what is read (sales, returns, customers, points ledger, redeemed codes,
// conflicts), and moves a cursor in the same transaction, so each is applied exactly once. Acks
// wait only for the journal: a fleet's backlog after an outage is taken as fast as the disk writes
// it, and applied right behind (docs/head-office.md).
//
// What the catalog is: offers, customers (cards, tier, segment, points balance), assignments,
// revocations and points rules. Every write transaction that changes any of it moves the catalog
// version on by one; terminals ask for everything changed after the version they hold.
//
// Threads: one Storage object per thread (each holds its own connection).
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hq/rules/affinity_rules.hpp"
#include "hq/rules/alert_rules.hpp"
#include "hq/rules/profile_rules.hpp"
#include "hq/storage/storage_error.hpp"
#include "loyalty/v1/campaign.pb.h"
#include "loyalty/v1/catalog.pb.h"
#include "loyalty/v1/sync.pb.h"

namespace loyalty::hq {

// Types the rules define (hq/rules/): the storage's callers pass them through.
using rules::AffinityOptions;
using rules::Alert;
using rules::AlertOptions;
using rules::k_day_ms;
using rules::Rule;
using rules::StoreLocation;
using rules::TierThresholds;

using Clock = std::chrono::system_clock;

// What a terminal said in its hello.
struct TerminalContact {
    std::string store_id;
    std::string terminal_id;
    std::string database_id;
    std::string id_tag;  // the tag in the ids the terminal's database makes
    std::string software_version;
    std::uint64_t acked_through = 0;
    std::uint64_t next_sequence = 0;
    std::uint64_t catalog_version = 0;
    Clock::time_point at{};
};

struct HelloResult {
    std::uint64_t stored_through = 0;  // the highest sequence held for the terminal's database
    // The terminal holds fewer of its database's events than head office (restored from a
    // backup): its sequences are counted again from 1, and it must give new ids a new tag.
    bool database_restored = false;
};

struct BatchResult {
    std::uint64_t stored_through = 0;  // the highest sequence held for the terminal's database
    std::size_t new_events = 0;        // events not held before (the rest were replays)
};

struct TerminalRow {
    std::string store_id;
    std::string terminal_id;
    std::string software_version;
    std::uint64_t stored_through = 0;
    std::uint64_t backlog = 0;  // events the terminal holds that head office does not, as last reported
    std::uint64_t catalog_version = 0;
    std::uint64_t events = 0;
    bool connected = false;
    Clock::time_point last_contact{};
};

struct ConflictRow {
    std::int64_t id = 0;
    std::string kind;  // "coupon_reused", "balance_below_zero", "sequence_gap", "database_replaced", ...
    Clock::time_point detected_at{};
    std::string store_id;
    std::string terminal_id;
    std::uint64_t sequence = 0;
    std::string customer_id;
    std::string detail;  // readable: what happened, where and when
};

struct OfferRow {
    v1::Offer offer;
    bool retired = false;
    std::uint64_t redemptions = 0;
    std::int64_t discount_minor_units = 0;
    std::uint64_t assignments = 0;
};

struct StoreSales {
    std::string store_id;
    std::uint64_t sales = 0;
    std::uint64_t card_sales = 0;  // with a loyalty card
    std::int64_t revenue = 0;      // totals paid, minor units
    std::int64_t discounts = 0;
    std::int64_t points_earned = 0;
    std::int64_t points_redeemed = 0;
    std::uint64_t returns = 0;
    std::int64_t refunds = 0;
    std::uint64_t voids = 0;
};

struct OfferRedemptions {
    std::string offer_id;
    std::string name;
    std::uint64_t redemptions = 0;
    std::int64_t discount = 0;
};

struct Summary {
    std::vector<StoreSales> stores;
    std::vector<OfferRedemptions> offers;
    std::uint64_t customers = 0;
    std::uint64_t enrolled_at_tills = 0;
    std::uint64_t events = 0;
    std::uint64_t unapplied = 0;  // journalled, not in the figures above yet
    std::uint64_t conflicts = 0;
};

// A report as rows of cells, rendered by the command line as a table, CSV or JSON.
struct Report {
    enum class Kind { text, count, money };  // money: minor units
    struct Column {
        std::string name;  // snake_case: CSV header and JSON key
        Kind kind;
    };
    std::vector<Column> columns;
    std::vector<std::vector<std::string>> rows;  // counts and money as decimal integers; "" when unknown
};

enum class ReportKind {
    sales_by_store,
    sales_by_day,         // UTC days
    sales_by_department,  // line totals before discounts, less refunded lines
    top_products,         // by revenue (line totals)
    customers_by_segment,
    customers_by_tier,
};

struct ReportRequest {
    ReportKind kind = ReportKind::sales_by_store;
    std::int64_t from_ms = 0;        // sales and returns at or after
    std::int64_t to_ms = INT64_MAX;  // and before
    std::size_t limit = 20;          // top_products
};

struct Profile {
    std::string customer_id;
    std::int64_t visits = 0;
    std::int64_t spend = 0;
    std::int64_t refunds = 0;
    std::int64_t lines = 0;
    std::int64_t first_visit_ms = 0;
    std::int64_t last_visit_ms = 0;
    std::optional<double> median_gap_days;         // from 2 visit days on
    int recency = 0, frequency = 0, monetary = 0;  // 1..5; 0 before the first refresh
    std::string segment;
    std::optional<double> churn_ratio;  // days since the last visit / median gap, as of the refresh
    std::vector<std::pair<std::string, std::int64_t>> favourite_departments;  // by spend, top 3
    std::vector<std::pair<std::string, std::int64_t>> favourite_products;     // gtin, baskets; top 5
    std::int64_t average_basket() const { return visits > 0 ? (spend + refunds) / visits : 0; }
};

struct Erasure {
    std::string pseudonym;  // what the history is kept under
    std::size_t sales = 0;
    std::size_t returns = 0;
    std::size_t journal_events = 0;  // stored events rewritten without the person's card, contact and id
    bool already = false;            // erased before: nothing done
};

struct ProfileRefresh {
    std::size_t profiles = 0;       // scored against the new quintile edges
    std::size_t tiers_changed = 0;  // customers whose tier moved (sent down to the tills)
    std::size_t rules = 0;          // bought-together rules
};

// A campaign as head office holds it, with what it has done so far.
struct CampaignRow {
    v1::Campaign campaign;
    v1::CampaignState state = v1::CAMPAIGN_STATE_UNSPECIFIED;
    std::uint64_t targeted = 0;     // members assigned the offer
    std::uint64_t control = 0;      // members held out
    std::uint64_t redemptions = 0;  // by targeted members, within the campaign's dates
    std::int64_t cost = 0;          // minor units: discounts given plus bonus points at their value
    bool budget_spent = false;
    std::optional<Clock::time_point> last_run;
};

// What one targeting run did for one campaign.
struct TargetingRun {
    std::string campaign_id;
    std::size_t targeted = 0;  // new members assigned the offer
    std::size_t control = 0;   // new members held out
    std::string skipped;       // why nothing was targeted: "paused", "ended", "budget spent", ...
    // "C: 12 customer(s) assigned the offer, 2 held out as control" (logs and the command line).
    std::string describe() const;
};

// Spend per member from the day they were chosen (or the campaign's start) to its end (or now):
// the targeted group against the control group (docs/head-office.md).
struct CampaignUplift {
    CampaignRow row;
    std::int64_t window_from_ms = 0, window_to_ms = 0;
    std::uint64_t redeemers = 0;                 // targeted members who redeemed at least once
    double targeted_mean = 0, control_mean = 0;  // minor units per member
    double uplift = 0;                           // targeted_mean - control_mean
    std::optional<double> ci_low, ci_high;       // 95 % (Welch); needs two members in each group
    double incremental_revenue = 0;              // uplift x targeted members
};

// One group commit of sync's writes. Every call succeeds or changes nothing; a call that throws
// StorageError leaves the others of the group standing. Throws StorageError for what the database
// cannot do (transient() tells its state from a bad request).
class JournalWrite {
public:
    // Rolls back everything not committed.
    virtual ~JournalWrite() = default;
    // Records the contact; answers the highest sequence held for the terminal's database. A
    // terminal whose database changed or was restored from a backup starts a new numbering (the
    // old events stay), recorded as a "database_replaced" / "database_restored" conflict.
    virtual HelloResult record_hello(const TerminalContact& contact) = 0;
    // Connections are counted, so an old link's late disconnect leaves a reconnected terminal connected.
    virtual void record_disconnect(const std::string& terminal_id, Clock::time_point at) = 0;
    // Journals the events not held yet (sequence gaps and unknown kinds are recorded as conflicts).
    // Throws StorageError (nothing of the batch stored) for a batch it cannot take.
    virtual BatchResult store_batch(const std::string& terminal_id, const v1::EventBatch& batch,
                                    Clock::time_point received_at) = 0;
    // Makes the group durable; throws StorageError (everything rolled back) when it cannot.
    virtual void commit() = 0;
};

// The journal as the sync path sees it (every backend): group commits of hellos, batches and
// disconnects, and what the fleet looks like from them (terminals, conflicts). Tested against
// every backend by one contract suite (tests/hq/journal_contract_test.cpp).
class Journal {
public:
    virtual ~Journal() = default;
    // A new group commit (one open at a time per object).
    virtual std::unique_ptr<JournalWrite> begin_journal() = 0;
    // No terminal is connected (a server starting: what a crashed one left counts for nothing).
    virtual void forget_connections() = 0;
    // Journalled events not applied yet.
    virtual std::uint64_t unapplied() = 0;
    virtual std::uint64_t catalog_version() = 0;
    virtual std::vector<TerminalRow> terminals() = 0;
    virtual std::vector<ConflictRow> conflicts() = 0;
};

class Storage : public Journal {
public:
    // ---- sync ---------------------------------------------------------------------------------------
    // Applies up to `limit` journalled events not applied yet, oldest first, in one durable
    // transaction of its own; answers how many. An event that cannot be applied is recorded as an
    // "event_not_applied" conflict and passed over (it never blocks the ones behind it).
    virtual std::size_t apply_stored(std::size_t limit) = 0;

    // ---- catalog -----------------------------------------------------------------------------------
    // Everything changed after `have`, in parts of about `part_bytes` each; a full resync when the
    // terminal has nothing, or claims a version head office never had.
    virtual std::vector<v1::CatalogDelta> catalog_since(std::uint64_t have, std::size_t part_bytes) = 0;

    // ---- administration ---------------------------------------------------------------------------
    // Adds or replaces offers (their revision moves on) and the points rules; one transaction.
    virtual void put_offers(const std::vector<v1::Offer>& offers, const v1::PointsRules* rules) = 0;
    virtual std::vector<OfferRow> offers(bool include_retired) = 0;
    // False when no live offer has that id.
    virtual bool retire_offer(const std::string& offer_id) = 0;
    // A new contact key (the tills' lookup hashes of phone and e-mail, domain/contact.hpp):
    // every customer goes down to the tills again with keys under it. Returns the catalog version.
    virtual std::uint64_t rotate_contact_key() = 0;
    // Throws StorageError naming what is unknown (offer, customer).
    virtual void assign(const v1::OfferAssignment& assignment) = 0;
    virtual Summary summary() = 0;
    virtual std::optional<v1::Customer> customer(const std::string& customer_id) = 0;

    // ---- profiles (docs/head-office.md) ------------------------------------------------------------
    // The periodic job: RFM quintile edges and every profile's scores, segment and churn ratio; every
    // customer's tier from the last 365 days' spend. In short transactions of 2,000 customers, so it
    // can run beside a serving head office (another connection or process).
    // `stop` is asked between transactions: true leaves the rest for the next refresh.
    virtual ProfileRefresh refresh_profiles(Clock::time_point now, const TierThresholds& tiers,
                                            const AffinityOptions& affinity = {},
                                            const std::function<bool()>& stop = {}) = 0;
    // Bought-together rules of the last refresh, strongest lift first.
    virtual std::vector<Rule> bought_together(std::size_t limit, double min_lift) = 0;
    // Profiled customers likely to buy `gtin`: they bought a product X with X -> gtin at min_lift
    // or more, and not gtin itself since `not_since`.
    virtual std::vector<std::string> likely_to_buy(const std::string& gtin, double min_lift,
                                                   Clock::time_point not_since) = 0;
    // Nothing for a customer without profiling consent.
    virtual std::optional<Profile> profile(const std::string& customer_id) = 0;

    // ---- privacy (docs/head-office.md) -------------------------------------------------------------
    // Everything held about one customer, as JSON; nothing for an unknown or erased customer.
    virtual std::optional<std::string> export_customer(const std::string& customer_id) = 0;
    // Deletes the customer's personal data, pseudonymises their history, tells the tills. Nothing
    // for an unknown customer.
    virtual std::optional<Erasure> erase_customer(const std::string& customer_id) = 0;

    // ---- campaigns (docs/head-office.md) ------------------------------------------------------------
    // Adds a campaign, or changes a live or paused one (its members stay). `offer` is the offer
    // defined in the campaign's file (added or changed with it), or null when the campaign names
    // an offer already added, which must be live and for assigned customers only. Throws
    // StorageError naming the problem.
    virtual void put_campaign(const v1::Campaign& campaign, const v1::Offer* offer) = 0;
    virtual std::vector<CampaignRow> campaigns() = 0;
    // Pause (assignments withdrawn until resumed), resume, or retire for good. False when no
    // campaign has that id; throws StorageError for a retired one.
    virtual bool set_campaign_state(const std::string& campaign_id, v1::CampaignState state) = 0;
    // Targets every live campaign (or only `campaign_id`): profiled customers in the audience who
    // are not members yet become members, the control share held out, the rest assigned the
    // offer. In short transactions; `stop` is asked between them.
    virtual std::vector<TargetingRun> run_campaigns(Clock::time_point now, const std::string& campaign_id = {},
                                                    const std::function<bool()>& stop = {}) = 0;
    virtual std::optional<CampaignUplift> campaign_uplift(const std::string& campaign_id, Clock::time_point now) = 0;

    // ---- reports ----------------------------------------------------------------------------------
    virtual Report report(const ReportRequest& request) = 0;
    // Fraud signals among the sales and returns between `from` and `to` (docs/head-office.md).
    virtual std::vector<Alert> alerts(const AlertOptions& options, Clock::time_point from, Clock::time_point to) = 0;
};

// Opens (creating and migrating) head office's SQLite database. Throws StorageError.
std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& file);

}  // namespace loyalty::hq
