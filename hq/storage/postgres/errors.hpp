// PostgreSQL's errors as storage errors (the backend's boundary): SQLSTATE classes mapped to
// StorageErrc, so "try later" (the server down or failing over, its disk full) is told from "this
// request is bad" exactly as on SQLite.
#pragma once

#include "common/postgres/connection.hpp"
#include "hq/storage/storage_error.hpp"

namespace loyalty::hq::postgres {

StorageErrc kind_of(const pq::Error& e);

// Runs `work`, its pq::Errors thrown again as StorageError.
template <typename Work>
auto translated(Work&& work) -> decltype(work()) {
    try {
        return work();
    } catch (const pq::Error& e) {
        throw StorageError(kind_of(e), e.what());
    }
}

}  // namespace loyalty::hq::postgres
