// Head office's schema on PostgreSQL: the versioned migrations in hq/storage/postgres/schema/
// (NNNN_name.sql), embedded in the binary when it is built (cmake/LoyaltyEmbedSql.cmake) and
// applied with pq::migrate. Version 1 has the same tables and columns as the SQLite backend's
// schema (checked by tests/hq/postgres_schema_test.cpp).
#pragma once

#include <span>

#include "common/postgres/migrations.hpp"

namespace loyalty::hq {

std::span<const pq::Migration> postgres_migrations();

}  // namespace loyalty::hq
