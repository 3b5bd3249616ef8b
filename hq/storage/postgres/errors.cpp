#include "hq/storage/postgres/errors.hpp"

namespace loyalty::hq::postgres {

StorageErrc kind_of(const pq::Error& e) {
    const std::string_view state = e.sqlstate();
    const std::string_view group = e.sqlstate_class();
    if (state == "53100") return StorageErrc::full;  // disk_full
    if (state.empty() || group == "08" || group == "53" || group == "57" || group == "58" || group == "40" ||
        state == "55P03" || state == "25006") {
        // No answer, the connection lost, resources or the server going down, an I/O error, a
        // serialization failure or deadlock, a lock not available, a read-only standby.
        return StorageErrc::unavailable;
    }
    if (group == "23") return StorageErrc::conflict;
    if (state == "XX001" || state == "XX002") return StorageErrc::corrupt;  // data or index corrupted
    if (group == "XX") return StorageErrc::unavailable;                     // the server's own trouble
    return StorageErrc::invalid;
}

}  // namespace loyalty::hq::postgres
