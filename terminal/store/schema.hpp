// The terminal's SQLite schema, as a list of versioned migrations (docs/local-store.md describes
// every table). Migration N brings a database from version N-1 to N; a released migration is
// never edited, only followed by a new one.
#pragma once

#include <span>

#include "common/sqlite/migrations.hpp"

namespace loyalty::terminal {

std::span<const sqlite::Migration> terminal_migrations();

// The version a freshly opened store has: the newest migration.
int terminal_schema_version();

}  // namespace loyalty::terminal
