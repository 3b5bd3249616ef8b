// One error category for head office's storage, whatever the engine: each backend translates its
// native errors (SQLite result codes; PostgreSQL SQLSTATEs) into these at its boundary, so callers
// tell "try later" (the database is down, the disk full: nothing is wrong with what was asked)
// from "this request is bad" without knowing the engine. The sync server tells a till which.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace loyalty::hq {

enum class StorageErrc {
    not_found = 1,  // what was named does not exist (offer, customer, campaign)
    conflict,       // it contradicts what is held (a campaign's offer taken, a retired campaign)
    invalid,        // the request itself is wrong (events before a hello, a sequence of 0)
    unavailable,    // the database cannot be reached or used now (down, locked, I/O failing)
    full,           // no space left for the database
    corrupt,        // what is held cannot be read (a damaged file, a stored message that does not parse)
};

const std::error_category& storage_category() noexcept;
std::error_code make_error_code(StorageErrc code) noexcept;

// what() is the backend's own account (it already names the cause); code() is the kind.
class StorageError : public std::runtime_error {
public:
    StorageError(StorageErrc kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    StorageErrc kind() const noexcept { return kind_; }
    std::error_code code() const noexcept { return make_error_code(kind_); }
    // Head office's state, not the request: the same request may succeed later.
    bool transient() const noexcept { return kind_ == StorageErrc::unavailable || kind_ == StorageErrc::full; }

private:
    StorageErrc kind_;
};

// Whether `e` is a StorageError of head office's state (callers that catch every exception).
inline bool is_transient(const std::exception& e) {
    const auto* storage = dynamic_cast<const StorageError*>(&e);
    return storage != nullptr && storage->transient();
}

}  // namespace loyalty::hq

template <>
struct std::is_error_code_enum<loyalty::hq::StorageErrc> : std::true_type {};
