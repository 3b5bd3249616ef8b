// Versioned schema migrations for a PostgreSQL database, as common/sqlite/migrations does for
// SQLite: migration N takes the schema from version N-1 to N, in its own transaction together
// with its row in `schema_migrations` (version, name, applied_at), so a crash leaves a whole
// version. A database at a version newer than this program knows is refused. Two programs
// starting at once are kept apart by a transaction-level advisory lock (released at commit, so it
// also works behind a connection pooler in transaction mode), and each checks the version again
// once it holds it.
#pragma once

#include <span>
#include <stdexcept>
#include <string_view>

namespace loyalty::pq {

class Connection;

struct Migration {
    int version;            // 1, 2, 3, ... contiguous
    std::string_view name;  // "baseline": shown in logs and in schema_migrations
    std::string_view sql;   // one or more statements
};

// The database's schema is newer than this program, or the migration list is inconsistent.
class SchemaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// 0 for a database no migration has touched.
int schema_version(Connection& db);

// Applies every migration above the database's version; returns how many. Throws SchemaError for a
// newer database, pq::Error when a migration's SQL fails (it is rolled back; earlier ones stay).
// `what` names the schema in messages ("head office").
int migrate(Connection& db, std::span<const Migration> migrations, std::string_view what);

}  // namespace loyalty::pq
