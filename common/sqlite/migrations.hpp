// Versioned schema migrations for a SQLite database.
//
// The schema version lives in `PRAGMA user_version`. Migration N takes a database from version
// N-1 to N; each runs in its own immediate transaction together with the version bump, so a crash
// leaves the database at a whole version, never between two. A database whose version is newer
// than the newest migration this program knows is refused: an older binary must not write a
// schema it does not understand.
#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

namespace loyalty::sqlite {

class Database;

struct Migration {
    int version;                   // 1, 2, 3, ... contiguous
    std::string_view description;  // shown in logs: "sales and outbox"
    std::string_view sql;          // one or more statements
};

// The database's schema is newer than this program, or the migration list is inconsistent.
class SchemaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

int schema_version(Database& db);

// Applies every migration above the database's version, up to `target` (default: the newest).
// Returns the number applied. Throws SchemaError for a newer database, sqlite::Error when a
// migration's SQL fails (that migration is rolled back; earlier ones stay applied).
int migrate(Database& db, std::span<const Migration> migrations, std::optional<int> target = std::nullopt);

}  // namespace loyalty::sqlite
