// Head office's journal on PostgreSQL: the sync path's group commits (hellos, batches,
// disconnects) and the fleet they describe, with the same rules as the SQLite backend
// (hq/rules/journal_rules, hello_rules) and one contract suite for both
// (tests/hq/journal_contract_test.cpp). Batches go in with one binary COPY each; the ack waits
// for COMMIT. The journal's monthly partitions are made three months ahead whenever the month
// turns. A lost connection is taken up again at the next group (its batches were not acked).
//
// Threads: one object per thread (it holds its own connection).
#pragma once

#include <memory>
#include <string>

#include "hq/storage/storage.hpp"

namespace loyalty::hq {

// Connects to `url` (a libpq URL) and brings the schema up to date. Throws StorageError:
// unavailable when the server cannot be reached, invalid for a database of a newer program.
std::unique_ptr<Journal> open_postgres_journal(const std::string& url);

}  // namespace loyalty::hq
