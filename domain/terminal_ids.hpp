// The ids a till makes for what it records, and who made one: "S0042-T03-K7Q2M-C000001" is
// terminal S0042-T03, its database's id tag K7Q2M (5 Crockford base32 characters; absent in ids
// made before tags, "S0042-T03-C000001"), the kind (none for a sale, "R" a return, "C" a
// customer) and a number of at least 6 digits. Terminal ids may themselves contain '-'.
//
// The till makes them (terminal/lane/lane.cpp); head office reads who made a customer id to
// decide whether a till may enrol that customer (hq/storage/sqlite_storage.cpp). Plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loyalty::domain {

enum class IdKind { sale, sale_return, customer };

std::string make_terminal_id(std::string_view terminal_id, std::string_view tag, IdKind kind, std::uint64_t number);

// True when `id` is of `kind` and was made by terminal `terminal_id` (under any of its tags). An id
// made before tags by a terminal named "<terminal_id>-<5 Crockford characters>" reads the same as
// a tagged one of `terminal_id`; pki.sh never issues such pairs of names in one store's scheme.
bool made_by_terminal(std::string_view id, std::string_view terminal_id, IdKind kind);

}  // namespace loyalty::domain
