// SqliteStorage: head office's Storage on one SQLite file (WAL, synchronous=FULL). Schema and
// the rules of ingest are in docs/head-office.md.
#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <map>
#include <set>
#include <type_traits>

#include "common/sqlite/database.hpp"
#include "common/sqlite/migrations.hpp"
#include "domain/currency.hpp"
#include "domain/terminal_ids.hpp"
#include "hq/rules/hello_rules.hpp"
#include "hq/rules/journal_rules.hpp"
#include "hq/rules/redaction.hpp"
#include "hq/storage/affinity.hpp"
#include "hq/storage/alerts.hpp"
#include "hq/storage/campaigns.hpp"
#include "hq/storage/customer_for_till.hpp"
#include "hq/storage/privacy.hpp"
#include "hq/storage/profiles.hpp"
#include "hq/storage/reports.hpp"
#include "hq/storage/storage.hpp"
#include "proto/event_kind.hpp"

namespace loyalty::hq {
namespace {

// Times are INTEGER milliseconds since the Unix epoch (UTC); money INTEGER minor units.
constexpr std::string_view k_v1_schema = R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('catalog_version', 0);

CREATE TABLE terminals (
    terminal_id      TEXT PRIMARY KEY,
    store_id         TEXT NOT NULL,
    database_id      TEXT NOT NULL DEFAULT '',
    epoch            INTEGER NOT NULL DEFAULT 1,
    stored_through   INTEGER NOT NULL DEFAULT 0,
    reported_through INTEGER NOT NULL DEFAULT 0,
    catalog_version  INTEGER NOT NULL DEFAULT 0,
    software_version TEXT NOT NULL DEFAULT '',
    events           INTEGER NOT NULL DEFAULT 0,
    connected        INTEGER NOT NULL DEFAULT 0,  -- links open now (a late disconnect of an old one)
    first_contact    INTEGER NOT NULL,
    last_contact     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    terminal_id   TEXT NOT NULL,
    epoch         INTEGER NOT NULL,
    sequence      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    store_id      TEXT NOT NULL,
    terminal_time INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    body          BLOB NOT NULL,
    UNIQUE (terminal_id, epoch, sequence)
);

CREATE TABLE sales (
    id              INTEGER PRIMARY KEY,
    terminal_id     TEXT NOT NULL,
    sale_id         TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    customer_id     TEXT,
    sold_at         INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    subtotal        INTEGER NOT NULL,
    discount_total  INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    points_earned   INTEGER NOT NULL,
    points_redeemed INTEGER NOT NULL,
    UNIQUE (terminal_id, sale_id)
);
CREATE INDEX sales_customer ON sales (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX sales_store_time ON sales (store_id, sold_at);

CREATE TABLE sale_lines (
    sale         INTEGER NOT NULL REFERENCES sales (id),
    line_no      INTEGER NOT NULL,
    gtin         TEXT NOT NULL,
    department   TEXT NOT NULL,
    units        INTEGER,
    weight_grams INTEGER,
    line_total   INTEGER NOT NULL,
    PRIMARY KEY (sale, line_no)
) WITHOUT ROWID;

CREATE TABLE sale_discounts (
    sale        INTEGER NOT NULL REFERENCES sales (id),
    discount_no INTEGER NOT NULL,
    offer_id    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    coupon_code TEXT,
    PRIMARY KEY (sale, discount_no)
) WITHOUT ROWID;
CREATE INDEX sale_discounts_offer ON sale_discounts (offer_id);

CREATE TABLE returns (
    id                INTEGER PRIMARY KEY,
    terminal_id       TEXT NOT NULL,
    return_id         TEXT NOT NULL,
    store_id          TEXT NOT NULL,
    original_sale_id  TEXT NOT NULL,
    customer_id       TEXT,
    returned_at       INTEGER NOT NULL,
    refund_total      INTEGER NOT NULL,
    points_reversed   INTEGER NOT NULL,
    points_given_back INTEGER NOT NULL,
    UNIQUE (terminal_id, return_id)
);

CREATE TABLE voids (
    terminal_id TEXT NOT NULL,
    sale_id     TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    voided_at   INTEGER NOT NULL,
    reason      INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    PRIMARY KEY (terminal_id, sale_id)
) WITHOUT ROWID;

CREATE TABLE customers (
    customer_id     TEXT PRIMARY KEY,
    given_name      TEXT,
    family_name     TEXT,
    email           TEXT,
    phone           TEXT,
    birthday        BLOB,
    tier            INTEGER NOT NULL DEFAULT 1,
    segment         TEXT NOT NULL DEFAULT '',
    points_balance  INTEGER NOT NULL DEFAULT 0,
    balance_version INTEGER NOT NULL DEFAULT 0,
    consents        BLOB,
    member_since    INTEGER NOT NULL,
    enrolled_at     TEXT,
    changed_version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX customers_changed ON customers (changed_version);

CREATE TABLE customer_cards (
    loyalty_card TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (customer_id),
    blocked      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX customer_cards_customer ON customer_cards (customer_id);

CREATE TABLE points_ledger (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL,
    delta       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    sequence    INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    balance     INTEGER NOT NULL
);
CREATE INDEX points_ledger_customer ON points_ledger (customer_id);

CREATE TABLE consent_log (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL,
    purpose     INTEGER NOT NULL,
    granted     INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    source      INTEGER NOT NULL,
    terminal_id TEXT
);
CREATE INDEX consent_log_customer ON consent_log (customer_id);

CREATE TABLE offers (
    offer_id        TEXT PRIMARY KEY,
    revision        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    body            BLOB NOT NULL,
    added_at        INTEGER NOT NULL,
    retired_at      INTEGER,
    changed_version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE assignments (
    offer_id        TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    code            TEXT NOT NULL DEFAULT '',
    uses_left       INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER,
    assigned_at     INTEGER NOT NULL,
    withdrawn       INTEGER NOT NULL DEFAULT 0,
    changed_version INTEGER NOT NULL,
    PRIMARY KEY (offer_id, customer_id, code)
) WITHOUT ROWID;
CREATE INDEX assignments_changed ON assignments (changed_version);

CREATE TABLE redeemed_codes (
    code        TEXT PRIMARY KEY,
    offer_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    sale_id     TEXT NOT NULL,
    redeemed_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE revocations (
    id          INTEGER PRIMARY KEY,
    version     INTEGER NOT NULL,
    kind        INTEGER NOT NULL,
    offer_id    TEXT NOT NULL DEFAULT '',
    customer_id TEXT NOT NULL DEFAULT '',
    code        TEXT NOT NULL DEFAULT '',
    card        TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
);
CREATE INDEX revocations_version ON revocations (version);

CREATE TABLE points_rules (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    body            BLOB NOT NULL,
    changed_version INTEGER NOT NULL
);

CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    detected_at INTEGER NOT NULL,
    store_id    TEXT NOT NULL DEFAULT '',
    terminal_id TEXT NOT NULL DEFAULT '',
    sequence    INTEGER NOT NULL DEFAULT 0,
    customer_id TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL
);
)sql";

// Events are applied behind the journal: the cursor is the last applied events.id (a database
// of version 1 had applied everything it held).
constexpr std::string_view k_v2_schema = R"sql(
INSERT INTO meta (key, value) SELECT 'applied_through', coalesce(max(id), 0) FROM events;
)sql";

// A terminal told its database was restored is told again while its hello shows the old id tag.
constexpr std::string_view k_v6_schema = R"sql(
ALTER TABLE terminals ADD COLUMN restored_tag TEXT NOT NULL DEFAULT '';
)sql";

// Which parts of a return a profile has counted (1 the totals, 2 the lines): a return that arrives
// before its sale, or before the customer's profile, is counted when they arrive, once.
constexpr std::string_view k_v7_schema = R"sql(
ALTER TABLE returns ADD COLUMN profiled INTEGER NOT NULL DEFAULT 0;
UPDATE returns SET profiled = 3 WHERE customer_id IN (SELECT customer_id FROM profiles);
)sql";

// The key the tills hash phone numbers and e-mail addresses with (they get only the hashes of
// customers enrolled elsewhere). Made here, with a catalog version of its own (unless nothing was
// ever published): every till's next delta brings the key and every customer again.
constexpr std::string_view k_v9_schema = R"sql(
UPDATE meta SET value = value + 1 WHERE key = 'catalog_version' AND value > 0;
CREATE TABLE contact_key (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    key           BLOB NOT NULL,
    since_version INTEGER NOT NULL
);
INSERT INTO contact_key (id, key, since_version)
    SELECT 1, randomblob(32), value FROM meta WHERE key = 'catalog_version';
UPDATE customers SET changed_version = (SELECT value FROM meta WHERE key = 'catalog_version')
    WHERE erased_at IS NULL;
)sql";

const std::array<sqlite::Migration, 9>& migrations() {
    static const std::array<sqlite::Migration, 9> list{{
        {1, "terminals, events, sales, customers, points ledger, catalog, conflicts", k_v1_schema},
        {2, "events applied behind the journal", k_v2_schema},
        {3, "customer profiles", Profiles::schema()},
        {4, "erased customers", Privacy::schema()},
        {5, "bought-together rules", Affinities::schema()},
        {6, "a restored terminal's old id tag", k_v6_schema},
        {7, "which parts of a return a profile counted", k_v7_schema},
        {8, "campaigns, their members, bonus points per offer", Campaigns::schema()},
        {9, "the tills' contact key", k_v9_schema},
    }};
    return list;
}

bool profiling_granted(const v1::ConsentEvent& consents) {
    for (const auto& c : consents.changes())
        if (c.purpose() == v1::CONSENT_PURPOSE_PROFILING) return c.granted();
    return false;
}

using google::protobuf::util::TimeUtil;
using sqlite::from_unix_ms;
using sqlite::null_if_empty;
using sqlite::to_unix_ms;

google::protobuf::Timestamp timestamp(std::int64_t ms) {
    return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

// The first column of the one row `query` returns (0 when none).
std::int64_t scalar(sqlite::Statement& query) {
    const std::int64_t value = query.step() ? query.column_int64(0) : 0;
    query.reset();
    return value;
}

// SQLite's result codes as storage errors (the backend's boundary): what the database's state
// causes (full, unavailable) is told apart from what the request does (invalid, conflict).
StorageErrc kind_of(const sqlite::Error& e) {
    switch (e.primary_code()) {
        case SQLITE_FULL: return StorageErrc::full;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_NOMEM:
        case SQLITE_PERM:
        case SQLITE_READONLY:
        case SQLITE_AUTH: return StorageErrc::unavailable;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB: return StorageErrc::corrupt;
        case SQLITE_CONSTRAINT: return StorageErrc::conflict;
        case SQLITE_NOTFOUND: return StorageErrc::not_found;
        default: return StorageErrc::invalid;
    }
}

[[noreturn]] void rethrow_as_storage_error(const sqlite::Error& e) {
    throw StorageError(kind_of(e), e.what());
}

// Runs `work`, its SQLite errors thrown again as StorageError.
template <typename Work>
auto translated(Work&& work) -> decltype(work()) {
    try {
        return work();
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }
}

class SqliteStorage final : public Storage {
public:
    explicit SqliteStorage(const std::filesystem::path& file) : db_(open(file)), profiles_(db_) {}

    // ---- sync --------------------------------------------------------------------------------------

    // The group commit: one transaction, a savepoint per call.
    class Write final : public JournalWrite {
    public:
        explicit Write(SqliteStorage& storage) : storage_(storage) {
            translated([&] { tx_.emplace(storage_.db_); });
            storage_.pending_version_.reset();
        }
        ~Write() override { storage_.pending_version_.reset(); }  // tx_ rolls back unless committed

        HelloResult record_hello(const TerminalContact& c) override {
            return translated([&] { return storage_.hello(c); });
        }
        void record_disconnect(const std::string& terminal_id, Clock::time_point at) override {
            translated([&] { storage_.disconnect(terminal_id, at); });
        }
        BatchResult store_batch(const std::string& terminal_id, const v1::EventBatch& batch,
                                Clock::time_point received_at) override {
            return translated([&] { return storage_.store(terminal_id, batch, received_at); });
        }
        void commit() override {
            translated([&] { tx_->commit(); });
            storage_.pending_version_.reset();
        }

    private:
        SqliteStorage& storage_;
        std::optional<sqlite::Transaction> tx_;
    };

    std::unique_ptr<JournalWrite> begin_journal() override { return std::make_unique<Write>(*this); }

    // Runs `work` in one durable transaction (the storage's own multi-step jobs).
    void write_group(const std::function<void()>& work) {
        translated([&] {
            sqlite::Transaction tx(db_);
            pending_version_.reset();
            try {
                work();
                tx.commit();
            } catch (...) {
                pending_version_.reset();
                throw;
            }
            pending_version_.reset();
        });
    }

    HelloResult hello(const TerminalContact& c) {
        return in_savepoint([&] {
            HelloResult result;
            const std::int64_t at = to_unix_ms(c.at);
            auto& find = db_.cached(
                "SELECT database_id, epoch, stored_through, restored_tag FROM terminals WHERE terminal_id = ?");
            find.bind(1, c.terminal_id);
            if (!find.step()) {
                find.reset();
                db_.cached(
                       "INSERT INTO terminals (terminal_id, store_id, database_id, first_contact, last_contact) "
                       "VALUES (?, ?, ?, ?, ?)")
                    .bind_all(c.terminal_id, c.store_id, c.database_id, at, at)
                    .run();
            } else {
                const rules::HeldTerminal held{.database_id = find.column_text(0),
                                               .epoch = find.column_int64(1),
                                               .stored_through = static_cast<std::uint64_t>(find.column_int64(2)),
                                               .restored_tag = find.column_text(3)};
                find.reset();
                const rules::HelloPlan plan = rules::plan_hello(held, {.terminal_id = c.terminal_id,
                                                                       .database_id = c.database_id,
                                                                       .id_tag = c.id_tag,
                                                                       .acked_through = c.acked_through,
                                                                       .next_sequence = c.next_sequence});
                result.database_restored = plan.database_restored;
                if (plan.clear_restored_tag) {
                    db_.cached("UPDATE terminals SET restored_tag = '' WHERE terminal_id = ?")
                        .bind(1, c.terminal_id)
                        .run();
                }
                for (const auto& noted : plan.conflicts)
                    conflict(noted.kind, c.store_id, c.terminal_id, noted.sequence, "", noted.detail);
                if (plan.new_epoch) {
                    db_.cached(
                           "UPDATE terminals SET epoch = ?, stored_through = ?, reported_through = 0, "
                           "restored_tag = coalesce(?, restored_tag) WHERE terminal_id = ?")
                        .bind_all(plan.new_epoch->epoch, static_cast<std::int64_t>(plan.new_epoch->stored_through),
                                  plan.new_epoch->restored_tag, c.terminal_id)
                        .run();
                }
                if (plan.database_id) {
                    db_.cached("UPDATE terminals SET database_id = ? WHERE terminal_id = ?")
                        .bind_all(*plan.database_id, c.terminal_id)
                        .run();
                }
            }
            db_.cached(
                   "UPDATE terminals SET store_id = ?, software_version = ?, catalog_version = ?, connected = "
                   "connected + 1, "
                   "last_contact = ?, reported_through = max(reported_through, ?) WHERE terminal_id = ?")
                .bind_all(c.store_id, c.software_version, static_cast<std::int64_t>(c.catalog_version), at,
                          static_cast<std::int64_t>(c.next_sequence > 0 ? c.next_sequence - 1 : 0), c.terminal_id)
                .run();
            result.stored_through = static_cast<std::uint64_t>(scalar(
                db_.cached("SELECT stored_through FROM terminals WHERE terminal_id = ?").bind(1, c.terminal_id)));
            return result;
        });
    }

    void disconnect(const std::string& terminal_id, Clock::time_point at) {
        db_.cached("UPDATE terminals SET connected = max(connected - 1, 0), last_contact = ? WHERE terminal_id = ?")
            .bind_all(to_unix_ms(at), terminal_id)
            .run();
    }

    void forget_connections() override {
        translated([&] { db_.exec("UPDATE terminals SET connected = 0"); });
    }

    BatchResult store(const std::string& terminal_id, const v1::EventBatch& batch, Clock::time_point received_at) {
        return in_savepoint([&] {
            auto& find = db_.cached("SELECT store_id, epoch, stored_through FROM terminals WHERE terminal_id = ?");
            find.bind(1, terminal_id);
            if (!find.step())
                throw StorageError(StorageErrc::invalid, "terminal " + terminal_id + " sent events before its hello");
            const std::string store_id = find.column_text(0);
            const std::int64_t epoch = find.column_int64(1);
            auto stored = static_cast<std::uint64_t>(find.column_int64(2));
            find.reset();
            // Which events are new is the journal rule's to say (the high-water mark).
            std::vector<rules::BatchEvent> entries;
            entries.reserve(static_cast<std::size_t>(batch.events_size()));
            for (const auto& event : batch.events())
                entries.push_back({event.header().sequence(), !event_kind(event).empty()});
            const rules::BatchPlan plan = rules::plan_batch(terminal_id, stored, entries);
            if (!plan.refused.empty()) throw StorageError(StorageErrc::invalid, plan.refused);
            BatchResult result;
            const std::int64_t now = to_unix_ms(received_at);
            std::string body;
            auto& insert = db_.cached(
                "INSERT INTO events (terminal_id, epoch, sequence, kind, store_id, terminal_time, received_at, body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
            for (const std::size_t i : plan.new_events) {
                const v1::Event& event = batch.events(static_cast<int>(i));
                const std::string_view kind = event_kind(event);
                event.SerializeToString(&body);
                insert.reset();
                insert
                    .bind_all(terminal_id, epoch, static_cast<std::int64_t>(entries[i].sequence),
                              kind.empty() ? "unknown" : kind, store_id, rules::terminal_time_ms(event, now), now)
                    .bind_blob(8, body)
                    .run();
            }
            for (const auto& c : plan.conflicts)
                conflict(c.kind, store_id, terminal_id, c.sequence, "", c.detail);
            stored = plan.stored_through;
            result.new_events = plan.new_events.size();
            db_.cached(
                   "UPDATE terminals SET stored_through = ?, events = events + ?, last_contact = ?, "
                   "reported_through = max(reported_through, ?) WHERE terminal_id = ?")
                .bind_all(static_cast<std::int64_t>(stored), static_cast<std::int64_t>(result.new_events), now,
                          static_cast<std::int64_t>(stored), terminal_id)
                .run();
            result.stored_through = stored;
            return result;
        });
    }

    std::size_t apply_stored(std::size_t limit) override {
        std::size_t applied = 0;
        write_group([&] {
            auto& read = db_.cached(
                "SELECT id, terminal_id, store_id, sequence, kind, received_at, body FROM events "
                "WHERE id > (SELECT value FROM meta WHERE key = 'applied_through') ORDER BY id LIMIT ?");
            read.bind(1, static_cast<std::int64_t>(limit));
            struct Stored {
                std::int64_t id;
                std::string terminal_id;
                std::string store_id;
                std::uint64_t sequence;
                bool known;
                std::int64_t received_at;
                std::string body;
            };
            std::vector<Stored> rows;  // read first: no statement is left open while they are applied
            std::int64_t last = 0;
            while (read.step()) {
                last = read.column_int64(0);
                rows.push_back({last, read.column_text(1), read.column_text(2),
                                static_cast<std::uint64_t>(read.column_int64(3)), read.column_text(4) != "unknown",
                                read.column_int64(5), read.column_blob(6)});
            }
            read.reset();
            v1::Event event;
            for (const auto& row : rows) {
                if (!row.known) continue;  // kept unread; recorded as a conflict when it was stored
                std::string problem;
                try {
                    if (!event.ParseFromString(row.body))
                        throw StorageError(StorageErrc::corrupt, "its stored body cannot be read");
                    in_savepoint([&] { apply(event, row.id, row.store_id, row.terminal_id, row.received_at); });
                } catch (const sqlite::Error& e) {
                    // The database's trouble (disk full, I/O) is not the event's: nothing of this
                    // chunk is kept and it is applied again later. A constraint is the event's.
                    if (!e.is_constraint_violation()) throw;
                    problem = e.what();
                } catch (const StorageError& e) {
                    if (e.transient()) throw;
                    problem = e.what();
                }
                if (!problem.empty()) {
                    conflict("event_not_applied", row.store_id, row.terminal_id, row.sequence, "",
                             "event " + std::to_string(row.sequence) + " of terminal " + row.terminal_id +
                                 " is stored but could not be applied: " + problem);
                }
            }
            applied = rows.size();
            if (last > 0) {
                db_.cached("UPDATE meta SET value = ? WHERE key = 'applied_through'").bind(1, last).run();
            }
        });
        return applied;
    }

    std::uint64_t unapplied() override {
        return translated([&] {
            return static_cast<std::uint64_t>(
                scalar(db_.cached("SELECT coalesce((SELECT max(id) FROM events), 0) - "
                                  "(SELECT value FROM meta WHERE key = 'applied_through')")));
        });
    }

    // ---- catalog -----------------------------------------------------------------------------------

    std::uint64_t catalog_version() override {
        return translated([&] {
            return static_cast<std::uint64_t>(
                scalar(db_.cached("SELECT value FROM meta WHERE key = 'catalog_version'")));
        });
    }

    std::vector<v1::CatalogDelta> catalog_since(std::uint64_t have, std::size_t part_bytes) override {
        return translated([&] { return catalog_delta(have, part_bytes); });
    }

    std::vector<v1::CatalogDelta> catalog_delta(std::uint64_t have, std::size_t part_bytes) {
        sqlite::Transaction snapshot(db_, sqlite::Transaction::Kind::deferred);
        const std::uint64_t now = catalog_version();
        if (have == now) return {};
        const bool full = have == 0 || have > now;
        const auto after = static_cast<std::int64_t>(full ? 0 : have);
        Parts parts(have, now, full, part_bytes);

        auto& offers = db_.cached(
            "SELECT offer_id, body, retired_at IS NOT NULL FROM offers WHERE changed_version > ? "
            "ORDER BY offer_id");
        offers.bind(1, after);
        while (offers.step()) {
            if (offers.column_int64(2) != 0) {
                if (!full) parts.removed_offer(offers.column_text(0));
                continue;
            }
            v1::Offer offer;
            if (!offer.ParseFromString(offers.column_blob(1))) {
                throw StorageError(StorageErrc::corrupt, "offer " + offers.column_text(0) + " cannot be read");
            }
            parts.offer(std::move(offer));
        }
        offers.reset();

        // Customers as a till may hold them (no phone, e-mail or full name), hashed under the
        // contact key, which comes along in a full resync and in the first delta after a rotation.
        auto& key = db_.cached("SELECT key, since_version FROM contact_key WHERE id = 1");
        const std::string contact_key = key.step() ? key.column_blob(0) : std::string();
        if (!contact_key.empty() && (full || key.column_int64(1) > after)) {
            v1::ContactKey k;
            k.set_key(contact_key);
            k.set_since_version(static_cast<std::uint64_t>(key.column_int64(1)));
            parts.key(k);
        }
        key.reset();
        auto& customers = db_.cached(std::string{k_select_customer} +
                                     " WHERE changed_version > ? AND erased_at IS NULL ORDER BY customer_id");
        customers.bind(1, after);
        while (customers.step())
            parts.customer(customer_for_till(read_customer(customers), contact_key));
        customers.reset();

        auto& assignments = db_.cached(
            "SELECT offer_id, customer_id, code, uses_left, expires_at, withdrawn FROM assignments "
            "WHERE changed_version > ? AND (withdrawn = 0 OR ? > 0) AND offer_id IN "
            "(SELECT offer_id FROM offers WHERE retired_at IS NULL) ORDER BY offer_id, customer_id");
        assignments.bind(1, after).bind(2, full ? std::int64_t{0} : std::int64_t{1});
        while (assignments.step()) {
            if (assignments.column_int64(5) != 0) {
                v1::Revocation r;
                r.set_kind(v1::REVOCATION_KIND_ASSIGNMENT_WITHDRAWN);
                r.set_offer_id(assignments.column_text(0));
                r.set_customer_id(assignments.column_text(1));
                r.set_code(assignments.column_text(2));
                parts.revocation(std::move(r));
                continue;
            }
            v1::OfferAssignment a;
            a.set_offer_id(assignments.column_text(0));
            a.set_customer_id(assignments.column_text(1));
            a.set_code(assignments.column_text(2));
            a.set_uses_left(static_cast<std::uint32_t>(assignments.column_int64(3)));
            if (!assignments.column_is_null(4)) *a.mutable_expires_at() = timestamp(assignments.column_int64(4));
            parts.assignment(std::move(a));
        }
        assignments.reset();

        // A full resync rebuilds the cache: only what must still be refused or forgotten there (used
        // codes, erased customers a till enrolled itself, blocked cards) is repeated.
        auto& revocations = db_.cached(
            "SELECT kind, offer_id, customer_id, code, card, at FROM revocations WHERE version > ? AND "
            "(? = 0 OR kind IN (1, 4, 5)) ORDER BY id");
        revocations.bind(1, after).bind(2, full ? std::int64_t{1} : std::int64_t{0});
        while (revocations.step()) {
            v1::Revocation r;
            r.set_kind(static_cast<v1::RevocationKind>(revocations.column_int64(0)));
            r.set_offer_id(revocations.column_text(1));
            r.set_customer_id(revocations.column_text(2));
            r.set_code(revocations.column_text(3));
            r.set_loyalty_card(revocations.column_text(4));
            *r.mutable_at() = timestamp(revocations.column_int64(5));
            parts.revocation(std::move(r));
        }
        revocations.reset();

        auto& rules = db_.cached("SELECT body FROM points_rules WHERE id = 1 AND changed_version > ?");
        rules.bind(1, after);
        if (rules.step()) {
            v1::PointsRules r;
            if (!r.ParseFromString(rules.column_blob(0)))
                throw StorageError(StorageErrc::corrupt, "points rules cannot be read");
            parts.rules(r);
        }
        rules.reset();
        return parts.finish();
    }

    // ---- administration ---------------------------------------------------------------------------

    void put_offers(const std::vector<v1::Offer>& list, const v1::PointsRules* rules) override try {
        write_group([&] {
            const std::int64_t now = to_unix_ms(Clock::now());
            for (const v1::Offer& offer : list) {
                if (auto owner = campaign_of(offer.offer_id())) {
                    throw StorageError(
                        StorageErrc::conflict,
                        "offer " + offer.offer_id() + " is campaign " + *owner +
                            "'s: change it with the campaign (campaign add), or retire the campaign first");
                }
                put_offer(offer, now);
            }
            if (rules != nullptr) {
                db_.cached("INSERT OR REPLACE INTO points_rules (id, body, changed_version) VALUES (1, ?, ?)")
                    .bind_blob(1, rules->SerializeAsString())
                    .bind(2, bump())
                    .run();
            }
        });
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    // The campaign (not retired) that assigns the offer, if any.
    std::optional<std::string> campaign_of(const std::string& offer_id) {
        auto& read = db_.cached("SELECT campaign_id FROM campaigns WHERE offer_id = ? AND state != ?");
        read.bind(1, offer_id).bind(2, std::int64_t{v1::CAMPAIGN_STATE_RETIRED});
        std::optional<std::string> owner = read.step() ? std::optional{read.column_text(0)} : std::nullopt;
        read.reset();
        return owner;
    }

    // Inside a write transaction: adds the offer, or replaces it under the next revision.
    void put_offer(v1::Offer offer, std::int64_t now) {
        auto& revision = db_.cached("SELECT revision, retired_at IS NOT NULL FROM offers WHERE offer_id = ?");
        revision.bind(1, offer.offer_id());
        const bool known = revision.step();
        const std::int64_t previous = known ? revision.column_int64(0) : 0;
        const bool was_retired = known && revision.column_int64(1) != 0;
        revision.reset();
        if (was_retired) {
            // The tills forgot its assignments when it was retired: they go down again.
            db_.cached("UPDATE assignments SET changed_version = ? WHERE offer_id = ? AND withdrawn = 0")
                .bind_all(bump(), offer.offer_id())
                .run();
        }
        offer.set_revision(static_cast<std::uint64_t>(previous) + 1);
        db_.cached(
               "INSERT INTO offers (offer_id, revision, name, body, added_at, retired_at, changed_version) "
               "VALUES (?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (offer_id) DO UPDATE SET "
               "revision = excluded.revision, name = excluded.name, body = excluded.body, "
               "retired_at = NULL, changed_version = excluded.changed_version")
            .bind_all(offer.offer_id(), previous + 1, offer.name())
            .bind_blob(4, offer.SerializeAsString())
            .bind(5, now)
            .bind(6, bump())
            .run();
    }

    std::vector<OfferRow> offers(bool include_retired) override try {
        std::vector<OfferRow> rows;
        auto& select = db_.cached(
            "SELECT o.body, o.retired_at IS NOT NULL, "
            "(SELECT count(*) FROM sale_discounts d WHERE d.offer_id = o.offer_id), "
            "(SELECT coalesce(sum(amount), 0) FROM sale_discounts d WHERE d.offer_id = o.offer_id), "
            "(SELECT count(*) FROM assignments a WHERE a.offer_id = o.offer_id AND a.withdrawn = 0) "
            "FROM offers o WHERE ? OR o.retired_at IS NULL ORDER BY o.offer_id");
        select.bind(1, include_retired ? std::int64_t{1} : std::int64_t{0});
        while (select.step()) {
            OfferRow& row = rows.emplace_back();
            if (!row.offer.ParseFromString(select.column_blob(0)))
                throw StorageError(StorageErrc::corrupt, "an offer cannot be read");
            row.retired = select.column_int64(1) != 0;
            row.redemptions = static_cast<std::uint64_t>(select.column_int64(2));
            row.discount_minor_units = select.column_int64(3);
            row.assignments = static_cast<std::uint64_t>(select.column_int64(4));
        }
        select.reset();
        return rows;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::uint64_t rotate_contact_key() override try {
        std::uint64_t version = 0;
        write_group([&] {
            version = static_cast<std::uint64_t>(bump());
            db_.cached("UPDATE contact_key SET key = randomblob(32), since_version = ? WHERE id = 1")
                .bind(1, static_cast<std::int64_t>(version))
                .run();
            db_.cached("UPDATE customers SET changed_version = ? WHERE erased_at IS NULL")
                .bind(1, static_cast<std::int64_t>(version))
                .run();
        });
        return version;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    bool retire_offer(const std::string& offer_id) override try {
        bool retired = false;
        write_group([&] {
            auto& find = db_.cached("SELECT 1 FROM offers WHERE offer_id = ? AND retired_at IS NULL");
            find.bind(1, offer_id);
            retired = find.step();
            find.reset();
            if (!retired) return;
            const std::int64_t version = bump();
            db_.cached("UPDATE offers SET retired_at = ?, changed_version = ? WHERE offer_id = ?")
                .bind_all(to_unix_ms(Clock::now()), version, offer_id)
                .run();
        });
        return retired;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    void assign(const v1::OfferAssignment& a) override try {
        write_group([&] {
            auto& offer = db_.cached("SELECT 1 FROM offers WHERE offer_id = ? AND retired_at IS NULL");
            offer.bind(1, a.offer_id());
            const bool live = offer.step();
            offer.reset();
            if (!live) throw StorageError(StorageErrc::not_found, "no live offer " + a.offer_id());
            if (auto owner = campaign_of(a.offer_id())) {
                throw StorageError(
                    StorageErrc::conflict,
                    "offer " + a.offer_id() + " is campaign " + *owner +
                        "'s: its members are chosen by targeting, with a control group that must not have it");
            }
            auto& customer = db_.cached("SELECT 1 FROM customers WHERE customer_id = ?");
            customer.bind(1, a.customer_id());
            const bool known = customer.step();
            customer.reset();
            if (!known) throw StorageError(StorageErrc::not_found, "no customer " + a.customer_id());
            auto& insert = db_.cached(
                "INSERT OR REPLACE INTO assignments (offer_id, customer_id, code, uses_left, expires_at, assigned_at, "
                "withdrawn, changed_version) VALUES (?, ?, ?, ?, ?, ?, 0, ?)");
            insert
                .bind_all(a.offer_id(), a.customer_id(), a.code(), static_cast<std::int64_t>(a.uses_left()),
                          a.has_expires_at() ? std::optional{TimeUtil::TimestampToMilliseconds(a.expires_at())}
                                             : std::nullopt,
                          to_unix_ms(Clock::now()), bump())
                .run();
        });
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::vector<TerminalRow> terminals() override try {
        std::vector<TerminalRow> rows;
        auto& select = db_.cached(
            "SELECT store_id, terminal_id, software_version, stored_through, "
            "max(reported_through - stored_through, 0), catalog_version, events, connected, last_contact "
            "FROM terminals ORDER BY store_id, terminal_id");
        while (select.step()) {
            TerminalRow& row = rows.emplace_back();
            row.store_id = select.column_text(0);
            row.terminal_id = select.column_text(1);
            row.software_version = select.column_text(2);
            row.stored_through = static_cast<std::uint64_t>(select.column_int64(3));
            row.backlog = static_cast<std::uint64_t>(select.column_int64(4));
            row.catalog_version = static_cast<std::uint64_t>(select.column_int64(5));
            row.events = static_cast<std::uint64_t>(select.column_int64(6));
            row.connected = select.column_int64(7) > 0;
            row.last_contact = from_unix_ms(select.column_int64(8));
        }
        select.reset();
        return rows;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::vector<ConflictRow> conflicts() override try {
        std::vector<ConflictRow> rows;
        auto& select = db_.cached(
            "SELECT id, kind, detected_at, store_id, terminal_id, sequence, customer_id, detail FROM conflicts "
            "ORDER BY id");
        while (select.step()) {
            ConflictRow& row = rows.emplace_back();
            row.id = select.column_int64(0);
            row.kind = select.column_text(1);
            row.detected_at = from_unix_ms(select.column_int64(2));
            row.store_id = select.column_text(3);
            row.terminal_id = select.column_text(4);
            row.sequence = static_cast<std::uint64_t>(select.column_int64(5));
            row.customer_id = select.column_text(6);
            row.detail = select.column_text(7);
        }
        select.reset();
        return rows;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    Summary summary() override try {
        sqlite::Transaction snapshot(db_, sqlite::Transaction::Kind::deferred);
        Summary s;
        std::map<std::string, StoreSales> stores;
        auto& sales = db_.cached(
            "SELECT store_id, count(*), count(customer_id), sum(total), sum(discount_total), sum(points_earned), "
            "sum(points_redeemed) FROM sales GROUP BY store_id");
        while (sales.step()) {
            StoreSales& row = stores[sales.column_text(0)];
            row.sales = static_cast<std::uint64_t>(sales.column_int64(1));
            row.card_sales = static_cast<std::uint64_t>(sales.column_int64(2));
            row.revenue = sales.column_int64(3);
            row.discounts = sales.column_int64(4);
            row.points_earned = sales.column_int64(5);
            row.points_redeemed = sales.column_int64(6);
        }
        sales.reset();
        auto& returns = db_.cached("SELECT store_id, count(*), sum(refund_total) FROM returns GROUP BY store_id");
        while (returns.step()) {
            StoreSales& row = stores[returns.column_text(0)];
            row.returns = static_cast<std::uint64_t>(returns.column_int64(1));
            row.refunds = returns.column_int64(2);
        }
        returns.reset();
        auto& voids = db_.cached("SELECT store_id, count(*) FROM voids GROUP BY store_id");
        while (voids.step())
            stores[voids.column_text(0)].voids = static_cast<std::uint64_t>(voids.column_int64(1));
        voids.reset();
        for (auto& [id, row] : stores) {
            row.store_id = id;
            s.stores.push_back(row);
        }
        auto& offers = db_.cached(
            "SELECT d.offer_id, coalesce(o.name, ''), count(*), sum(d.amount) FROM sale_discounts d "
            "LEFT JOIN offers o ON o.offer_id = d.offer_id GROUP BY d.offer_id ORDER BY sum(d.amount) DESC, "
            "d.offer_id");
        while (offers.step()) {
            OfferRedemptions& row = s.offers.emplace_back();
            row.offer_id = offers.column_text(0);
            row.name = offers.column_text(1);
            row.redemptions = static_cast<std::uint64_t>(offers.column_int64(2));
            row.discount = offers.column_int64(3);
        }
        offers.reset();
        s.customers = static_cast<std::uint64_t>(
            db_.query_int64("SELECT count(*) FROM customers WHERE erased_at IS NULL").value_or(0));
        s.enrolled_at_tills = static_cast<std::uint64_t>(
            db_.query_int64("SELECT count(*) FROM customers WHERE enrolled_at IS NOT NULL").value_or(0));
        s.events = static_cast<std::uint64_t>(db_.query_int64("SELECT count(*) FROM events").value_or(0));
        s.unapplied = unapplied();
        s.conflicts = static_cast<std::uint64_t>(db_.query_int64("SELECT count(*) FROM conflicts").value_or(0));
        return s;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::optional<v1::Customer> customer(const std::string& customer_id) override try {
        auto& select = db_.cached(std::string{k_select_customer} + " WHERE customer_id = ? AND erased_at IS NULL");
        select.bind(1, customer_id);
        std::optional<v1::Customer> found;
        if (select.step()) found = read_customer(select);
        select.reset();
        return found;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

private:
    static constexpr std::string_view k_select_customer =
        "SELECT customer_id, coalesce(given_name, ''), coalesce(family_name, ''), coalesce(email, ''), "
        "coalesce(phone, ''), birthday, tier, segment, points_balance, balance_version, consents, member_since "
        "FROM customers";

    // Collects a delta into parts of about part_bytes each.
    class Parts {
    public:
        Parts(std::uint64_t from, std::uint64_t to, bool full, std::size_t part_bytes)
            : from_(from), to_(to), full_(full), limit_(part_bytes) {
            next();
        }
        void offer(v1::Offer o) {
            add(o.ByteSizeLong());
            *parts_.back().add_offers() = std::move(o);
        }
        void removed_offer(std::string id) {
            add(id.size());
            parts_.back().add_removed_offer_ids(std::move(id));
        }
        void customer(v1::Customer c) {
            add(c.ByteSizeLong());
            *parts_.back().add_customers() = std::move(c);
        }
        void assignment(v1::OfferAssignment a) {
            add(a.ByteSizeLong());
            *parts_.back().add_assignments() = std::move(a);
        }
        void revocation(v1::Revocation r) {
            add(r.ByteSizeLong());
            *parts_.back().add_revocations() = std::move(r);
        }
        void rules(const v1::PointsRules& r) {
            add(r.ByteSizeLong());
            *parts_.back().mutable_points_rules() = r;
        }
        void key(const v1::ContactKey& k) {
            add(k.ByteSizeLong());
            *parts_.back().mutable_contact_key() = k;
        }
        std::vector<v1::CatalogDelta> finish() {
            for (std::size_t i = 0; i + 1 < parts_.size(); ++i)
                parts_[i].set_more_parts(true);
            return std::move(parts_);
        }

    private:
        void add(std::size_t bytes) {
            if (size_ > 0 && size_ + bytes + 8 > limit_) next();
            size_ += bytes + 8;
        }
        void next() {
            v1::CatalogDelta& d = parts_.emplace_back();
            d.set_from_version(from_);
            d.set_to_version(to_);
            d.set_full_resync(full_);
            size_ = 0;
        }
        std::uint64_t from_;
        std::uint64_t to_;
        bool full_;
        std::size_t limit_;
        std::size_t size_ = 0;
        std::vector<v1::CatalogDelta> parts_;
    };

    // Customers held before profiles existed: their profiling consent, read from their consents.
    // Customers held before profiles existed (schema < 3): their profiling consent read from their
    // consents, and their profiles built from their sales. Once, in one transaction, marked done in
    // `meta` (a crash before the commit leaves it to the next start).
    static void backfill_profiling(sqlite::Database& db) {
        if (db.query_int64("SELECT value FROM meta WHERE key = 'profiling_backfilled'").value_or(0) != 0) return;
        sqlite::Transaction tx(db);
        std::vector<std::string> consenting;
        auto read = db.prepare("SELECT customer_id, consents FROM customers WHERE consents IS NOT NULL");
        while (read.step()) {
            v1::ConsentEvent consents;
            if (consents.ParseFromString(read.column_blob(1)) && profiling_granted(consents))
                consenting.push_back(read.column_text(0));
        }
        Profiles profiles(db);
        for (const auto& id : consenting) {
            db.cached("UPDATE customers SET profiling = 1 WHERE customer_id = ?").bind(1, id).run();
            profiles.rebuild(id);
        }
        db.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('profiling_backfilled', 1)");
        tx.commit();
    }

    static sqlite::Database open(const std::filesystem::path& file) {
        std::error_code ec;
        if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
        try {
            sqlite::Database db(file);
            ::chmod(file.c_str(), 0600);
            db.exec("PRAGMA busy_timeout = 10000");
            if (db.query_text("PRAGMA journal_mode = WAL") != "wal") {
                throw StorageError(StorageErrc::unavailable,
                                   "database " + file.string() + ": the file system does not support WAL mode");
            }
            db.exec("PRAGMA synchronous = FULL");
            db.exec("PRAGMA foreign_keys = ON");
            // Profiles touch rows all over their tables: a page cache of 64 MiB (the default is 2).
            db.exec("PRAGMA cache_size = -65536");
            // Each applied event runs in its own savepoint, whose sub-journal is a temporary file by
            // default: pwrite() for every page an event changes. In memory instead.
            db.exec("PRAGMA temp_store = MEMORY");
            sqlite::migrate(db, migrations());
            backfill_profiling(db);
            return db;
        } catch (const sqlite::SchemaError& e) {
            throw StorageError(StorageErrc::invalid, e.what());
        } catch (const sqlite::Error& e) {
            throw StorageError(kind_of(e), "database " + file.string() + " cannot be opened: " + e.what());
        }
    }

    template <typename Work>
    auto in_savepoint(Work&& work) -> decltype(work()) {
        db_.cached("SAVEPOINT step").run();
        try {
            if constexpr (std::is_void_v<decltype(work())>) {
                work();
                db_.cached("RELEASE step").run();
            } else {
                auto result = work();
                db_.cached("RELEASE step").run();
                return result;
            }
        } catch (...) {
            db_.cached("ROLLBACK TO step").run();
            db_.cached("RELEASE step").run();
            throw;
        }
    }

    // The catalog version this transaction's changes carry (one per transaction).
    std::int64_t bump() {
        if (!pending_version_) {
            pending_version_ = scalar(db_.cached("SELECT value FROM meta WHERE key = 'catalog_version'")) + 1;
        }
        db_.cached("UPDATE meta SET value = max(value, ?) WHERE key = 'catalog_version'")
            .bind(1, *pending_version_)
            .run();
        return *pending_version_;
    }

    void conflict(const std::string& kind, const std::string& store_id, const std::string& terminal_id,
                  std::uint64_t sequence, const std::string& customer_id, const std::string& detail) {
        db_.cached(
               "INSERT INTO conflicts (kind, detected_at, store_id, terminal_id, sequence, customer_id, detail) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind_all(kind, to_unix_ms(Clock::now()), store_id, terminal_id, static_cast<std::int64_t>(sequence),
                      customer_id, detail)
            .run();
    }

    // ---- applying one new event ------------------------------------------------------------------

    // `journal_id`: the event's row in `events`.
    void apply(const v1::Event& event, std::int64_t journal_id, const std::string& store_id,
               const std::string& terminal_id, std::int64_t now) {
        const std::uint64_t sequence = event.header().sequence();
        const std::int64_t at = rules::terminal_time_ms(event, now);
        if (apply_for_erased(event, journal_id, store_id, terminal_id, sequence, at)) return;
        switch (event.body_case()) {
            case v1::Event::kPurchase: apply_purchase(event.purchase(), store_id, terminal_id, sequence, at); break;
            case v1::Event::kVoidSale: {
                const auto& v = event.void_sale();
                db_.cached(
                       "INSERT OR IGNORE INTO voids (terminal_id, sale_id, store_id, voided_at, reason, total) "
                       "VALUES (?, ?, ?, ?, ?, ?)")
                    .bind_all(terminal_id, v.sale_id(), store_id, at, static_cast<std::int64_t>(v.reason()),
                              v.total().minor_units())
                    .run();
                break;
            }
            case v1::Event::kSaleReturn: apply_return(event.sale_return(), store_id, terminal_id, sequence, at); break;
            case v1::Event::kEnrollment:
                apply_enrollment(event.enrollment(), store_id, terminal_id, sequence, at);
                break;
            case v1::Event::kConsent: {
                const auto& c = event.consent();
                if (!identified(c, store_id, terminal_id, sequence)) break;
                if (!ensure_customer(c.customer_id(), c.loyalty_card(), terminal_id, at)) break;
                record_consents(c.customer_id(), c.changes(), terminal_id, at);
                break;
            }
            default: break;
        }
    }

    // A late event for an erased customer (its till had not heard of the erasure yet): a sale or
    // return is kept under the pseudonym, without the card; anything else is dropped; its stored body
    // is rewritten without the person. Never brings the customer back. False for everyone else.
    bool apply_for_erased(const v1::Event& event, std::int64_t journal_id, const std::string& store_id,
                          const std::string& terminal_id, std::uint64_t sequence, std::int64_t at) {
        const std::string* customer = nullptr;
        switch (event.body_case()) {
            case v1::Event::kPurchase: customer = &event.purchase().customer_id(); break;
            case v1::Event::kSaleReturn: customer = &event.sale_return().customer_id(); break;
            case v1::Event::kEnrollment: customer = &event.enrollment().customer_id(); break;
            case v1::Event::kConsent: customer = &event.consent().customer_id(); break;
            default: return false;
        }
        const auto pseudonym = privacy_.pseudonym(*customer);
        if (!pseudonym) return false;
        v1::Event redacted = event;
        rules::redact(redacted, *customer, {}, *pseudonym);
        db_.cached("UPDATE events SET body = ? WHERE id = ?")
            .bind_blob(1, redacted.SerializeAsString())
            .bind(2, journal_id)
            .run();
        if (event.has_purchase()) {
            v1::PurchaseEvent p = event.purchase();
            p.set_customer_id(*pseudonym);
            p.clear_loyalty_card();
            apply_purchase(p, store_id, terminal_id, sequence, at, true);
        } else if (event.has_sale_return()) {
            v1::ReturnEvent r = event.sale_return();
            r.set_customer_id(*pseudonym);
            r.clear_loyalty_card();
            apply_return(r, store_id, terminal_id, sequence, at, true);
        } else {
            conflict("erased_customer_event", store_id, terminal_id, sequence, *pseudonym,
                     "an " + std::string(event_kind(event)) + " event for an erased customer arrived from terminal " +
                         terminal_id + " and was dropped");
        }
        return true;
    }

    // `pseudonymous`: an erased customer's late sale, kept for the figures only.
    void apply_purchase(const v1::PurchaseEvent& p, const std::string& store_id, const std::string& terminal_id,
                        std::uint64_t sequence, std::int64_t at, bool pseudonymous = false) {
        auto& insert = db_.cached(
            "INSERT OR IGNORE INTO sales (terminal_id, sale_id, store_id, customer_id, sold_at, currency, subtotal, "
            "discount_total, total, points_earned, points_redeemed) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
        insert
            .bind_all(terminal_id, p.sale_id(), store_id, null_if_empty(p.customer_id()), at,
                      p.total().currency().empty() ? p.subtotal().currency() : p.total().currency(),
                      p.subtotal().minor_units(), p.discount_total().minor_units(), p.total().minor_units(),
                      p.points().earned(), p.points().redeemed())
            .run();
        if (db_.changes() == 0) {
            // The same sale again (same time and total) is a replay from a database restored from a
            // backup, sent again under a new numbering: already counted. Another sale under a held id
            // is a conflict.
            auto& held =
                db_.cached("SELECT sold_at = ? AND total = ? FROM sales WHERE terminal_id = ? AND sale_id = ?");
            held.bind_all(at, p.total().minor_units(), terminal_id, p.sale_id());
            const bool same = held.step() && held.column_int64(0) != 0;
            held.reset();
            if (!same) {
                conflict("duplicate_sale", store_id, terminal_id, sequence, p.customer_id(),
                         "sale " + p.sale_id() + " of terminal " + terminal_id + " arrived again as event " +
                             std::to_string(sequence) + " with another time or total; the first one is kept");
            }
            return;
        }
        const std::int64_t sale = db_.last_insert_rowid();
        for (const auto& line : p.lines()) {
            auto& l = db_.cached(
                "INSERT OR IGNORE INTO sale_lines (sale, line_no, gtin, department, units, weight_grams, line_total, "
                "description) VALUES (?,?,?,?,?,?,?,?)");
            l.bind_all(sale, static_cast<std::int64_t>(line.line_no()), line.gtin(), line.department());
            if (line.quantity().has_weight_grams()) {
                l.bind(5, nullptr).bind(6, line.quantity().weight_grams());
            } else {
                l.bind(5, line.quantity().units()).bind(6, nullptr);
            }
            l.bind(7, line.line_total().minor_units()).bind(8, line.description()).run();
        }
        std::int64_t discount_no = 0;
        for (const auto& d : p.discounts()) {
            db_.cached(
                   "INSERT INTO sale_discounts (sale, discount_no, offer_id, amount, coupon_code) "
                   "VALUES (?,?,?,?,?)")
                .bind_all(sale, ++discount_no, d.offer_id(), d.amount().minor_units(), null_if_empty(d.coupon_code()))
                .run();
            if (!d.coupon_code().empty())
                redeem_code(d.coupon_code(), d.offer_id(), p, store_id, terminal_id, sequence, at);
        }
        campaigns_.sale_points(sale, p.points());
        for (const auto& line : p.points().lines()) {
            if (!line.coupon_code().empty()) {
                redeem_code(line.coupon_code(), line.offer_id(), p, store_id, terminal_id, sequence, at);
            }
        }
        if (pseudonymous) return;
        if (!p.customer_id().empty() && (p.points().earned() != 0 || p.points().redeemed() != 0)) {
            if (!ensure_customer(p.customer_id(), p.loyalty_card(), terminal_id, at)) return;
            if (p.points().earned() != 0)
                ledger(p.customer_id(), p.points().earned(), "earned: sale " + p.sale_id(), store_id, terminal_id,
                       sequence, at);
            if (p.points().redeemed() != 0)
                ledger(p.customer_id(), -p.points().redeemed(), "redeemed: sale " + p.sale_id(), store_id, terminal_id,
                       sequence, at);
        }
        if (!p.customer_id().empty() && profiling(p.customer_id())) {
            profiles_.purchase(p.customer_id(), p, at);
            profiles_.returned_before_sale(p.customer_id(), terminal_id, p.sale_id());
        }
    }

    void apply_return(const v1::ReturnEvent& r, const std::string& store_id, const std::string& terminal_id,
                      std::uint64_t sequence, std::int64_t at, bool pseudonymous = false) {
        db_.cached(
               "INSERT OR IGNORE INTO returns (terminal_id, return_id, store_id, original_sale_id, customer_id, "
               "returned_at, refund_total, points_reversed, points_given_back, original_terminal_id) "
               "VALUES (?,?,?,?,?,?,?,?,?,?)")
            .bind_all(terminal_id, r.return_id(), store_id, r.original_sale_id(), null_if_empty(r.customer_id()), at,
                      r.refund_total().minor_units(), r.points_reversed(), r.points_given_back(),
                      null_if_empty(r.original_terminal_id()))
            .run();
        if (db_.changes() == 0) return;
        const std::int64_t return_row = db_.last_insert_rowid();
        std::int64_t n = 0;
        for (const auto& back : r.lines()) {
            db_.cached("INSERT INTO return_lines (return, n, original_line_no, refund) VALUES (?, ?, ?, ?)")
                .bind_all(return_row, ++n, static_cast<std::int64_t>(back.original_line_no()),
                          back.refund().minor_units())
                .run();
        }
        if (pseudonymous || r.customer_id().empty()) return;
        if (!ensure_customer(r.customer_id(), r.loyalty_card(), terminal_id, at)) return;
        if (r.points_reversed() != 0)
            ledger(r.customer_id(), -r.points_reversed(), "reversed: return " + r.return_id(), store_id, terminal_id,
                   sequence, at);
        if (r.points_given_back() != 0)
            ledger(r.customer_id(), r.points_given_back(), "given back: return " + r.return_id(), store_id, terminal_id,
                   sequence, at);
        if (profiling(r.customer_id())) profiles_.refund(r.customer_id(), return_row);
    }

    std::optional<std::string> card_holder(const std::string& card) {
        auto& owner = db_.cached("SELECT customer_id FROM customer_cards WHERE loyalty_card = ?");
        owner.bind(1, card);
        std::optional<std::string> holder = owner.step() ? std::optional{owner.column_text(0)} : std::nullopt;
        owner.reset();
        return holder;
    }

    // A till may change the consents of a customer it enrolled or whose card it was shown (the card
    // in the event is the customer's at head office); anything else is recorded and not applied.
    bool identified(const v1::ConsentEvent& c, const std::string& store_id, const std::string& terminal_id,
                    std::uint64_t sequence) {
        if (domain::made_by_terminal(c.customer_id(), terminal_id, domain::IdKind::customer)) return true;
        if (!c.loyalty_card().empty() && card_holder(c.loyalty_card()) == c.customer_id()) return true;
        conflict("consent_not_identified", store_id, terminal_id, sequence, c.customer_id(),
                 "terminal " + terminal_id + " sent consent changes for customer " + c.customer_id() +
                     ", whom it did not enrol, without a card of theirs; the consents are unchanged");
        return false;
    }

    // Only the till that made a customer id enrols that customer, once, with a card nobody else
    // holds; contact details change only at head office after that. Anything else is kept in the
    // journal (the till's outbox moves on) but changes nothing: a conflict says what was refused.
    void apply_enrollment(const v1::EnrollmentEvent& e, const std::string& store_id, const std::string& terminal_id,
                          std::uint64_t sequence, std::int64_t at) {
        if (!domain::made_by_terminal(e.customer_id(), terminal_id, domain::IdKind::customer)) {
            conflict("customer_not_owned", store_id, terminal_id, sequence, e.customer_id(),
                     "terminal " + terminal_id + " sent an enrollment for customer " + e.customer_id() +
                         ", an id another terminal made; the customer is unchanged");
            return;
        }
        const std::optional<std::string> holder = card_holder(e.loyalty_card());
        if (holder && *holder != e.customer_id()) {
            conflict("card_enrolled_twice", store_id, terminal_id, sequence, e.customer_id(),
                     "the card of customer " + *holder + " was enrolled again as customer " + e.customer_id() +
                         " at terminal " + terminal_id + "; the card stays with " + *holder +
                         " and the enrollment was not applied");
            return;
        }
        auto& existing =
            db_.cached("SELECT count(*), coalesce(sum(loyalty_card = ?), 0) FROM customer_cards WHERE customer_id = ?");
        existing.bind_all(e.loyalty_card(), e.customer_id());
        const bool reused = existing.step() && existing.column_int64(0) > 0 && existing.column_int64(1) == 0;
        existing.reset();
        if (reused) {
            conflict("customer_id_reused", store_id, terminal_id, sequence, e.customer_id(),
                     "terminal " + terminal_id + " enrolled a new customer as " + e.customer_id() +
                         ", an id that already belongs to another card; the existing customer is left unchanged");
            return;
        }
        auto& enrolled = db_.cached("SELECT enrolled_at IS NOT NULL FROM customers WHERE customer_id = ?");
        enrolled.bind(1, e.customer_id());
        const bool already = enrolled.step() && enrolled.column_int64(0) != 0;
        enrolled.reset();
        if (already) {
            conflict("customer_enrolled_again", store_id, terminal_id, sequence, e.customer_id(),
                     "terminal " + terminal_id + " enrolled customer " + e.customer_id() +
                         " again; contact details change only at head office, the customer is unchanged");
            return;
        }
        const auto& contact = e.contact();
        auto& upsert =
            db_.cached(
                   "INSERT INTO customers (customer_id, given_name, family_name, email, phone, birthday, member_since, "
                   "enrolled_at, changed_version) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (customer_id) DO UPDATE SET "
                   "given_name = excluded.given_name, family_name = excluded.family_name, email = excluded.email, "
                   "phone = excluded.phone, birthday = excluded.birthday, enrolled_at = excluded.enrolled_at, "
                   "changed_version = excluded.changed_version")
                .bind_all(e.customer_id(), null_if_empty(contact.given_name()), null_if_empty(contact.family_name()),
                          null_if_empty(contact.email()), null_if_empty(contact.phone()))
                .bind(7, at)
                .bind(8, terminal_id)
                .bind(9, bump());
        if (contact.has_birthday()) {
            upsert.bind_blob(6, contact.birthday().SerializeAsString());
        } else {
            upsert.bind(6, nullptr);
        }
        upsert.run();
        if (!holder) {
            db_.cached("INSERT INTO customer_cards (loyalty_card, customer_id) VALUES (?, ?)")
                .bind_all(e.loyalty_card(), e.customer_id())
                .run();
        }
        record_consents(e.customer_id(), e.consents(), terminal_id, at);
    }

    // A customer the event names but head office has not heard of (its enrollment is still on
    // its way, or came from a file loaded at the till) is created bare.
    bool ensure_customer(const std::string& customer_id, const std::string& card, const std::string& terminal_id,
                         std::int64_t at) {
        if (customer_id.empty()) return false;
        db_.cached("INSERT OR IGNORE INTO customers (customer_id, member_since, changed_version) VALUES (?, ?, 0)")
            .bind_all(customer_id, at)
            .run();
        if (db_.changes() > 0) {
            db_.cached("UPDATE customers SET changed_version = ? WHERE customer_id = ?")
                .bind_all(bump(), customer_id)
                .run();
        }
        // Only the till that made the id binds a card to it this way (its enrollment may still be on
        // its way); another till's event never gives someone a card (nor its points, nor a say in
        // their consents).
        if (!card.empty() && domain::made_by_terminal(customer_id, terminal_id, domain::IdKind::customer)) {
            db_.cached("INSERT OR IGNORE INTO customer_cards (loyalty_card, customer_id) VALUES (?, ?)")
                .bind_all(card, customer_id)
                .run();
        }
        return true;
    }

    void record_consents(const std::string& customer_id, const google::protobuf::RepeatedPtrField<v1::Consent>& changes,
                         const std::string& terminal_id, std::int64_t at) {
        if (changes.empty()) return;
        auto& read = db_.cached("SELECT consents FROM customers WHERE customer_id = ?");
        read.bind(1, customer_id);
        v1::ConsentEvent held;
        if (read.step() && !read.column_is_null(0)) held.ParseFromString(read.column_blob(0));
        read.reset();
        std::map<int, v1::Consent> by_purpose;
        for (const auto& c : held.changes())
            by_purpose[c.purpose()] = c;
        for (const auto& c : changes) {
            const std::int64_t recorded = c.has_recorded_at() ? TimeUtil::TimestampToMilliseconds(c.recorded_at()) : at;
            db_.cached(
                   "INSERT INTO consent_log (customer_id, purpose, granted, recorded_at, source, terminal_id) "
                   "VALUES (?,?,?,?,?,?)")
                .bind_all(customer_id, static_cast<std::int64_t>(c.purpose()), c.granted() ? 1 : 0, recorded,
                          static_cast<std::int64_t>(c.source()), terminal_id)
                .run();
            auto& current = by_purpose[c.purpose()];
            if (!current.has_recorded_at() || TimeUtil::TimestampToMilliseconds(current.recorded_at()) <= recorded)
                current = c;
        }
        v1::ConsentEvent merged;
        for (auto& [purpose, c] : by_purpose)
            *merged.add_changes() = c;
        const bool granted = profiling_granted(merged);
        const bool was = profiling(customer_id);
        db_.cached("UPDATE customers SET consents = ?, profiling = ?, changed_version = ? WHERE customer_id = ?")
            .bind_blob(1, merged.SerializeAsString())
            .bind(2, granted ? 1 : 0)
            .bind(3, bump())
            .bind(4, customer_id)
            .run();
        // Withdrawn: nothing profiled stays. Given: built from what head office holds (purchases at
        // other tills may have arrived before the enrollment that carried the consent).
        if (was && !granted) {
            profiles_.forget(customer_id);
            campaigns_.consent_withdrawn(customer_id);
        }
        if (!was && granted) profiles_.rebuild(customer_id);
    }

    void ledger(const std::string& customer_id, std::int64_t delta, const std::string& reason,
                const std::string& store_id, const std::string& terminal_id, std::uint64_t sequence, std::int64_t at) {
        auto& update = db_.cached(
            "UPDATE customers SET points_balance = points_balance + ?, balance_version = balance_version + 1, "
            "changed_version = ? WHERE customer_id = ? RETURNING points_balance");
        update.bind(1, delta).bind(2, bump()).bind(3, customer_id);
        const std::int64_t balance = update.step() ? update.column_int64(0) : 0;
        update.reset();
        db_.cached(
               "INSERT INTO points_ledger (customer_id, delta, reason, terminal_id, sequence, at, balance) "
               "VALUES (?,?,?,?,?,?,?)")
            .bind_all(customer_id, delta, reason, terminal_id, static_cast<std::int64_t>(sequence), at, balance)
            .run();
        // Only a redemption: a return's reversal can come before the sale that earned the points
        // (another till's events late), which is no conflict; the balance is right once both are in.
        if (balance < 0 && delta < 0 && reason.starts_with("redeemed")) {
            conflict("balance_below_zero", store_id, terminal_id, sequence, customer_id,
                     "customer " + customer_id + "'s points balance went to " + std::to_string(balance) + " (" +
                         reason + " at terminal " + terminal_id + ", " + std::to_string(-delta) +
                         " points): redeemed offline at more than one till");
        }
    }

    void redeem_code(const std::string& code, const std::string& offer_id, const v1::PurchaseEvent& p,
                     const std::string& store_id, const std::string& terminal_id, std::uint64_t sequence,
                     std::int64_t at) {
        auto& first = db_.cached("SELECT terminal_id, sale_id FROM redeemed_codes WHERE code = ?");
        first.bind(1, code);
        if (first.step()) {
            const bool same_sale = first.column_text(0) == terminal_id && first.column_text(1) == p.sale_id();
            const std::string where = first.column_text(0) + " (sale " + first.column_text(1) + ")";
            first.reset();
            if (same_sale) return;  // one code on several lines of the same sale
            conflict("coupon_reused", store_id, terminal_id, sequence, p.customer_id(),
                     "single-use code " + code + " of offer " + offer_id + " was redeemed at " + where +
                         " and again at " + terminal_id + " (sale " + p.sale_id() + ", " +
                         domain::format_money(discount_for(p, code), p.total().currency()) + ")");
            return;
        }
        first.reset();
        db_.cached("INSERT INTO redeemed_codes (code, offer_id, terminal_id, sale_id, redeemed_at) VALUES (?,?,?,?,?)")
            .bind_all(code, offer_id, terminal_id, p.sale_id(), at)
            .run();
        const std::int64_t version = bump();
        db_.cached("INSERT INTO revocations (version, kind, offer_id, customer_id, code, at) VALUES (?,?,?,?,?,?)")
            .bind_all(version, static_cast<std::int64_t>(v1::REVOCATION_KIND_COUPON_CODE_REDEEMED), offer_id,
                      p.customer_id(), code, at)
            .run();
    }

    static std::int64_t discount_for(const v1::PurchaseEvent& p, const std::string& code) {
        std::int64_t sum = 0;
        for (const auto& d : p.discounts())
            if (d.coupon_code() == code) sum += d.amount().minor_units();
        return sum;
    }

    v1::Customer read_customer(const sqlite::Statement& row) {
        v1::Customer c;
        c.set_customer_id(row.column_text(0));
        auto* contact = c.mutable_contact();
        contact->set_given_name(row.column_text(1));
        contact->set_family_name(row.column_text(2));
        contact->set_email(row.column_text(3));
        contact->set_phone(row.column_text(4));
        if (!row.column_is_null(5)) contact->mutable_birthday()->ParseFromString(row.column_blob(5));
        c.set_tier(static_cast<v1::Tier>(row.column_int64(6)));
        c.set_segment(row.column_text(7));
        c.set_points_balance(row.column_int64(8));
        c.set_balance_version(static_cast<std::uint64_t>(row.column_int64(9)));
        if (!row.column_is_null(10)) {
            v1::ConsentEvent consents;
            consents.ParseFromString(row.column_blob(10));
            *c.mutable_consents() = consents.changes();
        }
        *c.mutable_member_since() = timestamp(row.column_int64(11));
        auto& cards = db_.cached(
            "SELECT loyalty_card FROM customer_cards WHERE customer_id = ? AND blocked = 0 "
            "ORDER BY loyalty_card");
        cards.bind(1, c.customer_id());
        while (cards.step())
            c.add_loyalty_cards(cards.column_text(0));
        cards.reset();
        return c;
    }

    std::vector<Rule> bought_together(std::size_t limit, double min_lift) override try {
        return affinities_.rules(limit, min_lift);
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::vector<std::string> likely_to_buy(const std::string& gtin, double min_lift,
                                           Clock::time_point not_since) override try {
        return affinities_.likely_to_buy(gtin, min_lift, to_unix_ms(not_since));
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    ProfileRefresh refresh_profiles(Clock::time_point now, const TierThresholds& tiers, const AffinityOptions& affinity,
                                    const std::function<bool()>& stop) override try {
        auto stopping = [&] { return stop && stop(); };
        // Short transactions, so a serving head office's writer is never held up for long.
        constexpr std::size_t k_chunk = 2000;
        const std::int64_t now_ms = to_unix_ms(now);
        ProfileRefresh result;
        write_group([&] { profiles_.refresh_edges(now_ms); });
        std::string cursor;
        do {
            if (stopping()) return result;
            write_group([&] { result.profiles += profiles_.score_after(cursor, k_chunk, now_ms); });
        } while (!cursor.empty());
        if (stopping()) return result;
        const auto changes = profiles_.tier_changes(now_ms, tiers);  // a read
        for (std::size_t from = 0; from < changes.size(); from += k_chunk) {
            if (stopping()) return result;
            result.tiers_changed += std::min(k_chunk, changes.size() - from);
            write_group([&] {
                for (std::size_t i = from; i < std::min(changes.size(), from + k_chunk); ++i) {
                    db_.cached("UPDATE customers SET tier = ?, changed_version = ? WHERE customer_id = ?")
                        .bind_all(static_cast<std::int64_t>(changes[i].second), bump(), changes[i].first)
                        .run();
                }
            });
        }
        if (stopping()) return result;
        result.rules =
            affinities_.refresh(now_ms, affinity, [this](const std::function<void()>& work) { write_group(work); });
        return result;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::optional<Profile> profile(const std::string& customer_id) override { return profiles_.find(customer_id); }

    Report report(const ReportRequest& request) override { return run_report(db_, request); }

    std::vector<Alert> alerts(const AlertOptions& options, Clock::time_point from, Clock::time_point to) override try {
        return find_alerts(db_, options, to_unix_ms(from), to_unix_ms(to));
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::optional<std::string> export_customer(const std::string& customer_id) override try {
        const auto c = customer(customer_id);
        if (!c) return std::nullopt;
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(*c, &json);
        return privacy_.export_json(customer_id, json);
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::optional<Erasure> erase_customer(const std::string& customer_id) override try {
        std::optional<Erasure> erasure;
        std::vector<std::string> cards;
        write_group([&] {
            cards = privacy_.cards(customer_id);
            erasure = privacy_.erase(customer_id, to_unix_ms(Clock::now()), [this] { return bump(); });
        });
        if (erasure && !erasure->already) {
            // Then the journal, in pieces (a serving head office's writer waits one piece at most).
            erasure->journal_events =
                privacy_.redact_journal(customer_id, cards, erasure->pseudonym,
                                        [this](const std::function<void()>& work) { write_group(work); });
        }
        return erasure;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    // ---- campaigns ----------------------------------------------------------------------------------

    void put_campaign(const v1::Campaign& campaign, const v1::Offer* offer) override try {
        write_group([&] {
            const std::int64_t now = to_unix_ms(Clock::now());
            auto& read = db_.cached("SELECT body, retired_at IS NULL FROM offers WHERE offer_id = ?");
            read.bind(1, campaign.offer_id());
            v1::Offer held;
            const bool known = read.step() && held.ParseFromString(read.column_blob(0));
            const bool live = known && read.column_int64(1) != 0;
            read.reset();
            if (offer != nullptr) {
                if (known && held.campaign_id() != campaign.campaign_id()) {
                    throw StorageError(StorageErrc::conflict,
                                       "offer " + campaign.offer_id() + " exists already" +
                                           (held.campaign_id().empty() ? std::string{" (added with offer add)"}
                                                                       : " (campaign " + held.campaign_id() + "'s)") +
                                           ": give the campaign's offer another offer_id");
                }
                put_offer(*offer, now);
            } else if (!live) {
                throw StorageError(
                    StorageErrc::not_found,
                    "no live offer " + campaign.offer_id() +
                        ": add it with `loyalty-hq offer add`, or define it in the campaign's [offer] table");
            } else if (held.targeting().audience() != v1::AUDIENCE_ASSIGNED) {
                throw StorageError(StorageErrc::conflict,
                                   "offer " + campaign.offer_id() +
                                       " is not for assigned customers only (targeting.audience must be "
                                       "AUDIENCE_ASSIGNED): everyone could have it, the control group too");
            }
            campaigns_.put(campaign, now);
        });
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::vector<CampaignRow> campaigns() override { return campaigns_.list(); }

    bool set_campaign_state(const std::string& campaign_id, v1::CampaignState state) override try {
        bool found = false;
        write_group([&] { found = campaigns_.set_state(campaign_id, state, to_unix_ms(Clock::now())); });
        return found;
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::vector<TargetingRun> run_campaigns(Clock::time_point now, const std::string& campaign_id,
                                            const std::function<bool()>& stop) override try {
        return campaigns_.run(to_unix_ms(now), campaign_id, stop);
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    std::optional<CampaignUplift> campaign_uplift(const std::string& campaign_id, Clock::time_point now) override try {
        return campaigns_.uplift(campaign_id, to_unix_ms(now));
    } catch (const sqlite::Error& e) {
        rethrow_as_storage_error(e);
    }

    bool profiling(const std::string& customer_id) {
        auto& read = db_.cached("SELECT profiling FROM customers WHERE customer_id = ?");
        read.bind(1, customer_id);
        const bool granted = read.step() && read.column_int64(0) != 0;
        read.reset();
        return granted;
    }

    sqlite::Database db_;
    Profiles profiles_;
    Privacy privacy_{db_, profiles_};
    Affinities affinities_{db_};
    Campaigns campaigns_{db_, [this] { return bump(); },
                         [this](const std::function<void()>& work) { write_group(work); }};
    std::optional<std::int64_t> pending_version_;
};

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& file) {
    return std::make_unique<SqliteStorage>(file);
}

}  // namespace loyalty::hq
