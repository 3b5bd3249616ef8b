#include "common/postgres/migrations.hpp"

#include <string>

#include "common/postgres/connection.hpp"

namespace loyalty::pq {
namespace {

constexpr std::string_view k_table = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
))sql";

}  // namespace

int schema_version(Connection& db) {
    const auto exists = db.query_text("SELECT to_regclass('schema_migrations')::text");
    if (!exists) return 0;
    return static_cast<int>(db.query_int64("SELECT coalesce(max(version), 0) FROM schema_migrations").value_or(0));
}

int migrate(Connection& db, std::span<const Migration> migrations, std::string_view what) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1)
            throw SchemaError("migration list of " + std::string(what) + " is not numbered 1, 2, 3, ...");
    }
    const int newest = static_cast<int>(migrations.size());
    int applied = 0;
    for (;;) {
        Transaction tx(db);
        // One program migrates at a time; the lock goes with the transaction.
        db.query("SELECT pg_advisory_xact_lock(hashtext('loyalty schema migrations'))");
        db.exec(k_table);
        const int version = schema_version(db);
        if (version > newest) {
            throw SchemaError("the " + std::string(what) + " database is at schema version " + std::to_string(version) +
                              ", newer than this program knows (" + std::to_string(newest) +
                              "): a newer version of the program wrote it; do not use this one with it");
        }
        if (version == newest) {
            tx.commit();
            return applied;
        }
        const Migration& next = migrations[static_cast<std::size_t>(version)];
        db.exec(next.sql);
        db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                 Params::of(next.version, std::string{next.name}));
        tx.commit();
        ++applied;
    }
}

}  // namespace loyalty::pq
