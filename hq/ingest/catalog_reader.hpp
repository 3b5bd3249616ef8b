// CatalogReader: head office's catalog deltas, read on a thread of their own and shared.
//
// A delta is read from the storage's second connection on this thread, never on the server's:
// a full resync of a million customers takes seconds, and every other till's acks would wait.
// Tills follow head office closely, so after a change nearly all of them ask for the same delta
// (from the version before it to now): it is read once and the parts are shared, kept while no
// newer version is known and while they fit the cache's budget.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hq/storage/storage.hpp"

namespace loyalty::hq {

class CatalogReader {
public:
    using Parts = std::shared_ptr<const std::vector<v1::CatalogDelta>>;
    // `parts` empty: nothing newer than `have`. `error` non-empty: the delta could not be read.
    // `error` non-empty: nothing could be read; `try_later` when that is the database's state.
    using Done = std::function<void(Parts parts, const std::string& error, bool try_later)>;

    struct Stats {
        std::uint64_t requests = 0;
        std::uint64_t reads = 0;  // deltas read from storage (the rest came from the cache)
    };

    CatalogReader(std::unique_ptr<Storage> storage, std::size_t part_bytes, std::size_t cache_bytes);
    ~CatalogReader();
    CatalogReader(const CatalogReader&) = delete;
    CatalogReader& operator=(const CatalogReader&) = delete;

    // The delta from `have` to now; `done` is called once, on the reader's thread. `known` is the
    // newest catalog version known to the caller: a cached delta reaching it is served as it is.
    void request(std::uint64_t have, std::uint64_t known, Done done);
    // Answers what is queued, then stops the thread; later requests are answered with an error.
    void stop();
    Stats stats() const;

private:
    struct Request {
        std::uint64_t have;
        std::uint64_t known;
        Done done;
    };
    struct Entry {
        std::uint64_t to;
        Parts parts;
        std::size_t bytes;
    };
    void run();
    Parts answer(const Request& request);

    std::unique_ptr<Storage> storage_;
    const std::size_t part_bytes_;
    const std::size_t cache_bytes_;
    std::map<std::uint64_t, Entry> cache_;  // by the version asked from; reader thread only
    std::size_t cached_bytes_ = 0;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Request> queue_;
    bool stopping_ = false;
    Stats stats_;
    std::thread thread_;
};

}  // namespace loyalty::hq
