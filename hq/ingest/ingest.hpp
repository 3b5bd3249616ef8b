// Ingest: head office's sync::ServerHandler. Hellos, batches and disconnects from every
// connection go to one writer thread, which takes everything queued, journals it in one durable
// transaction (group commit: one fsync for many terminals' batches) and only then answers each
// connection, which acks. Between groups, when nothing waits, the same thread applies the
// journalled events (Storage::apply_stored) in chunks; far behind, it takes turns. Catalog deltas are read from a
// second connection on a thread of their own and shared (CatalogReader); the catalog version, asked on every ack, is
// held in memory: the writer
// reads it after each commit and twice a second when idle (offers added by `loyalty-hq offer add`, another process, are
// seen within half a second).
//
// A batch the storage refuses (an event it cannot take) fails alone: the others in the same group
// commit. A commit that fails (disk full, I/O error) fails every batch of the group; nothing of
// it was acknowledged, and the terminals send it again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "hq/ingest/catalog_reader.hpp"
#include "hq/storage/storage.hpp"
#include "sync/server.hpp"

namespace loyalty::hq {

struct IngestStats {
    std::uint64_t events = 0;   // new events stored
    std::uint64_t batches = 0;  // batches answered
    std::uint64_t commits = 0;  // write transactions storing batches
    std::uint64_t applied = 0;  // journalled events applied (sales, customers, ledger, ...)
};

class Ingest : public sync::ServerHandler {
public:
    // `writer` is used by the writer thread only; `reader` by the catalog reader's thread only.
    Ingest(std::unique_ptr<Storage> writer, std::unique_ptr<Storage> reader);
    ~Ingest() override;
    Ingest(const Ingest&) = delete;
    Ingest& operator=(const Ingest&) = delete;

    void hello(const sync::PeerIdentity& peer, const v1::Hello& hello,
               std::function<void(sync::HelloOutcome)> done) override;
    void store(const sync::PeerIdentity& peer, const v1::EventBatch& batch,
               std::function<void(sync::StoreOutcome)> done) override;
    std::uint64_t catalog_version() override;
    void catalog_since(std::uint64_t have_version, std::function<void(sync::CatalogOutcome)> done) override;
    void disconnected(const sync::PeerIdentity& peer) override;

    // Finishes what is queued, then stops the writer thread.
    void stop();
    IngestStats stats() const;

private:
    // Why a job's work was not kept: empty when it was committed.
    struct Failure {
        std::string error;
        bool try_later = false;  // head office's state (database down, disk full), not the request
    };
    struct Job {
        std::function<void(JournalWrite& group)> run;       // inside the group's transaction
        std::function<void(const Failure& failed)> finish;  // after it
    };
    void submit(Job job);
    void writer_loop();
    void store_group(std::deque<Job>& group);
    void refresh_catalog_version();  // writer thread

    std::unique_ptr<Storage> writer_;
    CatalogReader catalog_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    IngestStats stats_;
    std::atomic<std::uint64_t> catalog_version_{0};
    std::thread thread_;
};

}  // namespace loyalty::hq
