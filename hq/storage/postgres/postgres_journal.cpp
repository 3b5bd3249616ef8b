#include "hq/storage/postgres/postgres_journal.hpp"

#include <google/protobuf/util/time_util.h>
#include <optional>

#include "common/postgres/connection.hpp"
#include "common/postgres/migrations.hpp"
#include "common/unix_ms.hpp"
#include "hq/rules/hello_rules.hpp"
#include "hq/rules/journal_rules.hpp"
#include "hq/rules/profile_rules.hpp"
#include "hq/storage/postgres/errors.hpp"
#include "hq/storage/postgres/schema.hpp"
#include "proto/event_kind.hpp"

namespace loyalty::hq {
namespace {

using postgres::translated;
using pq::Params;

// A savepoint around one call of a group: it succeeds whole or changes nothing.
template <typename Work>
auto in_savepoint(pq::Connection& db, Work&& work) -> decltype(work()) {
    db.exec("SAVEPOINT journal_call");
    try {
        if constexpr (std::is_void_v<decltype(work())>) {
            work();
            db.exec("RELEASE SAVEPOINT journal_call");
        } else {
            auto result = work();
            db.exec("RELEASE SAVEPOINT journal_call");
            return result;
        }
    } catch (...) {
        if (db.ok()) {
            try {
                db.exec("ROLLBACK TO SAVEPOINT journal_call");
            } catch (const pq::Error&) {
                // The group is lost with the connection; its commit fails and nothing is acked.
            }
        }
        throw;
    }
}

void record_conflict(pq::Connection& db, const std::string& kind, const std::string& store_id,
                     const std::string& terminal_id, std::uint64_t sequence, const std::string& detail) {
    db.query(
        "INSERT INTO conflicts (kind, detected_at, store_id, terminal_id, sequence, customer_id, detail) "
        "VALUES ($1, $2, $3, $4, $5, '', $6)",
        Params::of(kind, to_unix_ms(Clock::now()), store_id, terminal_id, static_cast<std::int64_t>(sequence), detail));
}

class PgWrite;

class PostgresJournal final : public Journal {
public:
    explicit PostgresJournal(const std::string& url) : db_(translated([&] { return pq::Connection(url); })) {
        translated([&] {
            try {
                pq::migrate(db_, postgres_migrations(), "head office");
            } catch (const pq::SchemaError& e) {
                throw StorageError(StorageErrc::invalid, e.what());
            }
        });
    }

    std::unique_ptr<JournalWrite> begin_journal() override;

    void forget_connections() override {
        translated([&] { db_.exec("UPDATE terminals SET connected = 0"); });
    }

    std::uint64_t unapplied() override {
        return translated([&] {
            return static_cast<std::uint64_t>(db_.query_int64("SELECT coalesce((SELECT max(id) FROM events), 0) - "
                                                              "(SELECT value FROM meta WHERE key = 'applied_through')")
                                                  .value_or(0));
        });
    }

    std::uint64_t catalog_version() override {
        return translated([&] {
            return static_cast<std::uint64_t>(
                db_.query_int64("SELECT value FROM meta WHERE key = 'catalog_version'").value_or(0));
        });
    }

    std::vector<TerminalRow> terminals() override {
        return translated([&] {
            const pq::Result r = db_.query(
                "SELECT store_id, terminal_id, software_version, stored_through, "
                "greatest(reported_through - stored_through, 0), catalog_version, events, connected, last_contact "
                "FROM terminals ORDER BY store_id, terminal_id");
            std::vector<TerminalRow> rows;
            for (int i = 0; i < r.rows(); ++i) {
                rows.push_back({.store_id = r.text(i, 0),
                                .terminal_id = r.text(i, 1),
                                .software_version = r.text(i, 2),
                                .stored_through = static_cast<std::uint64_t>(r.int64(i, 3)),
                                .backlog = static_cast<std::uint64_t>(r.int64(i, 4)),
                                .catalog_version = static_cast<std::uint64_t>(r.int64(i, 5)),
                                .events = static_cast<std::uint64_t>(r.int64(i, 6)),
                                .connected = r.int64(i, 7) > 0,
                                .last_contact = from_unix_ms(r.int64(i, 8))});
            }
            return rows;
        });
    }

    std::vector<ConflictRow> conflicts() override {
        return translated([&] {
            const pq::Result r = db_.query(
                "SELECT id, kind, detected_at, store_id, terminal_id, sequence, customer_id, detail FROM conflicts "
                "ORDER BY id");
            std::vector<ConflictRow> rows;
            for (int i = 0; i < r.rows(); ++i) {
                rows.push_back({.id = r.int64(i, 0),
                                .kind = r.text(i, 1),
                                .detected_at = from_unix_ms(r.int64(i, 2)),
                                .store_id = r.text(i, 3),
                                .terminal_id = r.text(i, 4),
                                .sequence = static_cast<std::uint64_t>(r.int64(i, 5)),
                                .customer_id = r.text(i, 6),
                                .detail = r.text(i, 7)});
            }
            return rows;
        });
    }

private:
    friend class PgWrite;

    // The journal's partitions three months ahead, made whenever the (UTC) month turns (DDL,
    // outside any group: it locks the journal's parent table briefly).
    void ensure_partitions(std::int64_t now_ms) {
        const std::int64_t month = rules::month_of(now_ms);
        if (month == partitions_checked_) return;
        db_.query("SELECT loyalty_event_partitions($1, 3)", Params::of(now_ms));
        partitions_checked_ = month;
    }

    pq::Connection db_;
    std::int64_t partitions_checked_ = -1;
};

class PgWrite final : public JournalWrite {
public:
    explicit PgWrite(PostgresJournal& journal) : db_(journal.db_) {
        translated([&] {
            if (!db_.ok()) db_.reconnect();  // the server came back: a new connection
            journal.ensure_partitions(to_unix_ms(Clock::now()));
            db_.exec("BEGIN");
        });
        open_ = true;
    }

    ~PgWrite() override {
        if (!open_ || !db_.ok()) return;
        try {
            db_.exec("ROLLBACK");
        } catch (const pq::Error&) {
            // The connection is gone: the server rolled the group back.
        }
    }

    HelloResult record_hello(const TerminalContact& c) override {
        return translated([&] { return in_savepoint(db_, [&] { return hello(c); }); });
    }

    void record_disconnect(const std::string& terminal_id, Clock::time_point at) override {
        translated([&] {
            in_savepoint(db_, [&] {
                db_.query(
                    "UPDATE terminals SET connected = greatest(connected - 1, 0), last_contact = $1 "
                    "WHERE terminal_id = $2",
                    Params::of(to_unix_ms(at), terminal_id));
            });
        });
    }

    BatchResult store_batch(const std::string& terminal_id, const v1::EventBatch& batch,
                            Clock::time_point received_at) override {
        return translated([&] { return in_savepoint(db_, [&] { return store(terminal_id, batch, received_at); }); });
    }

    void commit() override {
        translated([&] {
            open_ = false;
            if (const std::string tag = db_.exec("COMMIT"); tag != "COMMIT")
                throw pq::Error("25P02", "the group was rolled back, not committed");
        });
    }

private:
    HelloResult hello(const TerminalContact& c) {
        HelloResult result;
        const std::int64_t at = to_unix_ms(c.at);
        const pq::Result held = db_.query(
            "SELECT database_id, epoch, stored_through, restored_tag FROM terminals WHERE terminal_id = $1 FOR UPDATE",
            Params::of(c.terminal_id));
        if (held.empty()) {
            db_.query(
                "INSERT INTO terminals (terminal_id, store_id, database_id, first_contact, last_contact) "
                "VALUES ($1, $2, $3, $4, $4)",
                Params::of(c.terminal_id, c.store_id, c.database_id, at));
        } else {
            const rules::HelloPlan plan =
                rules::plan_hello({.database_id = held.text(0, 0),
                                   .epoch = held.int64(0, 1),
                                   .stored_through = static_cast<std::uint64_t>(held.int64(0, 2)),
                                   .restored_tag = held.text(0, 3)},
                                  {.terminal_id = c.terminal_id,
                                   .database_id = c.database_id,
                                   .id_tag = c.id_tag,
                                   .acked_through = c.acked_through,
                                   .next_sequence = c.next_sequence});
            result.database_restored = plan.database_restored;
            if (plan.clear_restored_tag)
                db_.query("UPDATE terminals SET restored_tag = '' WHERE terminal_id = $1", Params::of(c.terminal_id));
            for (const auto& noted : plan.conflicts)
                record_conflict(db_, noted.kind, c.store_id, c.terminal_id, noted.sequence, noted.detail);
            if (plan.new_epoch) {
                db_.query(
                    "UPDATE terminals SET epoch = $1, stored_through = $2, reported_through = 0, "
                    "restored_tag = coalesce($3, restored_tag) WHERE terminal_id = $4",
                    Params::of(plan.new_epoch->epoch, static_cast<std::int64_t>(plan.new_epoch->stored_through),
                               plan.new_epoch->restored_tag, c.terminal_id));
            }
            if (plan.database_id) {
                db_.query("UPDATE terminals SET database_id = $1 WHERE terminal_id = $2",
                          Params::of(*plan.database_id, c.terminal_id));
            }
        }
        const pq::Result after = db_.query(
            "UPDATE terminals SET store_id = $1, software_version = $2, catalog_version = $3, connected = connected + "
            "1, last_contact = $4, reported_through = greatest(reported_through, $5) WHERE terminal_id = $6 "
            "RETURNING stored_through",
            Params::of(c.store_id, c.software_version, static_cast<std::int64_t>(c.catalog_version), at,
                       static_cast<std::int64_t>(c.next_sequence > 0 ? c.next_sequence - 1 : 0), c.terminal_id));
        result.stored_through = static_cast<std::uint64_t>(after.int64(0, 0));
        return result;
    }

    BatchResult store(const std::string& terminal_id, const v1::EventBatch& batch, Clock::time_point received_at) {
        const pq::Result held =
            db_.query("SELECT store_id, epoch, stored_through FROM terminals WHERE terminal_id = $1 FOR UPDATE",
                      Params::of(terminal_id));
        if (held.empty())
            throw StorageError(StorageErrc::invalid, "terminal " + terminal_id + " sent events before its hello");
        const std::string store_id = held.text(0, 0);
        const std::int64_t epoch = held.int64(0, 1);
        std::vector<rules::BatchEvent> entries;
        entries.reserve(static_cast<std::size_t>(batch.events_size()));
        for (const auto& event : batch.events())
            entries.push_back({event.header().sequence(), !event_kind(event).empty()});
        const rules::BatchPlan plan =
            rules::plan_batch(terminal_id, static_cast<std::uint64_t>(held.int64(0, 2)), entries);
        if (!plan.refused.empty()) throw StorageError(StorageErrc::invalid, plan.refused);
        const std::int64_t now = to_unix_ms(received_at);
        if (!plan.new_events.empty()) {
            pq::CopyRows rows;
            std::string body;
            for (const std::size_t i : plan.new_events) {
                const v1::Event& event = batch.events(static_cast<int>(i));
                const std::string_view kind = event_kind(event);
                event.SerializeToString(&body);
                rows.row(8)
                    .text(terminal_id)
                    .int64(epoch)
                    .int64(static_cast<std::int64_t>(entries[i].sequence))
                    .text(kind.empty() ? std::string_view{"unknown"} : kind)
                    .text(store_id)
                    .int64(rules::terminal_time_ms(event, now))
                    .int64(now)
                    .bytes(body);
            }
            db_.copy_in(
                "COPY events (terminal_id, epoch, sequence, kind, store_id, terminal_time, received_at, body) "
                "FROM STDIN (FORMAT binary)",
                rows);
        }
        for (const auto& c : plan.conflicts)
            record_conflict(db_, c.kind, store_id, terminal_id, c.sequence, c.detail);
        db_.query(
            "UPDATE terminals SET stored_through = $1, events = events + $2, last_contact = $3, "
            "reported_through = greatest(reported_through, $1) WHERE terminal_id = $4",
            Params::of(static_cast<std::int64_t>(plan.stored_through),
                       static_cast<std::int64_t>(plan.new_events.size()), now, terminal_id));
        return BatchResult{.stored_through = plan.stored_through, .new_events = plan.new_events.size()};
    }

    pq::Connection& db_;
    bool open_ = false;
};

std::unique_ptr<JournalWrite> PostgresJournal::begin_journal() {
    return std::make_unique<PgWrite>(*this);
}

}  // namespace

std::unique_ptr<Journal> open_postgres_journal(const std::string& url) {
    return std::make_unique<PostgresJournal>(url);
}

}  // namespace loyalty::hq
