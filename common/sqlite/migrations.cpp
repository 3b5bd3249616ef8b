#include "common/sqlite/migrations.hpp"

#include <string>

#include "common/sqlite/database.hpp"

namespace loyalty::sqlite {

int schema_version(Database& db) {
    return static_cast<int>(db.query_int64("PRAGMA user_version").value_or(0));
}

int migrate(Database& db, std::span<const Migration> migrations, std::optional<int> target) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1) {
            throw SchemaError("migration list is not contiguous: entry " + std::to_string(i + 1) + " has version " +
                              std::to_string(migrations[i].version));
        }
    }
    const int newest = static_cast<int>(migrations.size());
    const int wanted = target.value_or(newest);
    if (wanted < 0 || wanted > newest) {
        throw SchemaError("migration target " + std::to_string(wanted) + " is outside 0.." + std::to_string(newest));
    }

    const int current = schema_version(db);
    if (current > newest) {
        throw SchemaError("database " + db.path().string() + " has schema version " + std::to_string(current) +
                          ", newer than version " + std::to_string(newest) +
                          " that this program knows; it was written by a newer release and is left untouched");
    }

    int applied = 0;
    for (int version = current + 1; version <= wanted; ++version) {
        const Migration& step = migrations[static_cast<std::size_t>(version - 1)];
        Transaction tx(db);
        db.exec(step.sql);
        db.exec("PRAGMA user_version = " + std::to_string(version));
        tx.commit();
        ++applied;
    }
    return applied;
}

}  // namespace loyalty::sqlite
