#include "hq/ingest/ingest.hpp"

#include <spdlog/spdlog.h>

namespace loyalty::hq {
namespace {
// A catalog part well under the 4 MiB frame limit.
constexpr std::size_t k_catalog_part_bytes = 1024 * 1024;
// Deltas kept for the tills that ask next (a larger one, a big chain's full resync, is read for each).
constexpr std::size_t k_catalog_cache_bytes = 64 * 1024 * 1024;
// How often an idle writer looks for catalog changes made by another process.
constexpr auto k_catalog_poll = std::chrono::milliseconds(500);
// No batch for this long: a lull, in which journalled events are applied.
constexpr auto k_lull = std::chrono::milliseconds(20);
// Events applied per transaction: a batch waiting behind one waits ~5 ms at most.
constexpr std::size_t k_apply_chunk = 500;
// Behind by more than this, applying takes turns with storing instead of waiting for a lull
// (about ten seconds of applying).
constexpr std::uint64_t k_apply_behind_limit = 1'000'000;

}  // namespace

Ingest::Ingest(std::unique_ptr<Storage> writer, std::unique_ptr<Storage> reader)
    : writer_(std::move(writer)), catalog_(std::move(reader), k_catalog_part_bytes, k_catalog_cache_bytes) {
    writer_->forget_connections();
    catalog_version_ = writer_->catalog_version();
    thread_ = std::thread([this] { writer_loop(); });
}

Ingest::~Ingest() {
    stop();
}

void Ingest::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    catalog_.stop();
}

IngestStats Ingest::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void Ingest::submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(job));
            wake_.notify_one();
            return;
        }
    }
    job.finish({"head office is shutting down", true});
}

void Ingest::writer_loop() {
    std::uint64_t unapplied = 0;
    try {
        unapplied = writer_->unapplied();
    } catch (const std::exception& e) {
        spdlog::error("ingest: cannot count the events still to apply: {}", e.what());
    }
    bool lull = false;  // no batch came for k_lull: apply chunk after chunk until one does
    for (;;) {
        std::deque<Job> group;
        {
            std::unique_lock lock(mutex_);
            if (queue_.empty() && !stopping_ && !lull) {
                wake_.wait_for(lock, unapplied == 0 ? k_catalog_poll : k_lull,
                               [this] { return stopping_ || !queue_.empty(); });
            }
            if (stopping_ && queue_.empty()) return;  // everything answered; the rest is applied at the next start
            group.swap(queue_);
        }
        if (!group.empty()) {
            lull = false;
            store_group(group);
            try {
                unapplied = writer_->unapplied();
            } catch (const std::exception& e) {
                spdlog::error("ingest: cannot count the events still to apply: {}", e.what());
            }
        } else if (unapplied == 0) {
            lull = false;
            refresh_catalog_version();  // another process (loyalty-hq offer add) may have changed it
            continue;
        } else {
            lull = true;
        }
        // While terminals send, acks come first; applying takes turns only when far behind.
        if (unapplied > 0 && (lull || unapplied > k_apply_behind_limit)) {
            try {
                const std::size_t applied = writer_->apply_stored(k_apply_chunk);
                unapplied = applied == 0 ? 0 : unapplied - std::min<std::uint64_t>(unapplied, applied);
                std::lock_guard lock(mutex_);
                stats_.applied += applied;
            } catch (const std::exception& e) {
                spdlog::error("ingest: events not applied, trying again in a second: {}", e.what());
                lull = false;
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
            }
            refresh_catalog_version();
        }
    }
}

void Ingest::store_group(std::deque<Job>& group) {
    Failure failed;
    try {
        const auto write = writer_->begin_journal();
        for (auto& job : group)
            job.run(*write);
        write->commit();
    } catch (const std::exception& e) {
        failed.error = std::string("storage failed, nothing of this batch was kept: ") + e.what();
        failed.try_later = is_transient(e);
        spdlog::error("ingest: {} ({} request(s) refused{})", e.what(), group.size(),
                      failed.try_later ? ", told to try later" : "");
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.commits;
    }
    refresh_catalog_version();
    for (auto& job : group)
        job.finish(failed);
}

void Ingest::hello(const sync::PeerIdentity& peer, const v1::Hello& hello,
                   std::function<void(sync::HelloOutcome)> done) {
    TerminalContact contact{.store_id = peer.store_id,
                            .terminal_id = peer.terminal_id,
                            .database_id = hello.database_id(),
                            .id_tag = hello.id_tag(),
                            .software_version = hello.software_version(),
                            .acked_through = hello.acked_through_sequence(),
                            .next_sequence = hello.next_sequence(),
                            .catalog_version = hello.catalog_version(),
                            .at = Clock::now()};
    auto outcome = std::make_shared<sync::HelloOutcome>();
    submit(Job{.run =
                   [contact, outcome](JournalWrite& write) {
                       try {
                           const HelloResult result = write.record_hello(contact);
                           outcome->stored_through = result.stored_through;
                           outcome->database_restored = result.database_restored;
                           if (!result.database_restored && outcome->stored_through < contact.acked_through) {
                               spdlog::warn(
                                   "ingest: {} was acknowledged through {} but head office holds through {} "
                                   "(database restored from a backup?): the terminal sends the rest again",
                                   contact.terminal_id, contact.acked_through, outcome->stored_through);
                           }
                       } catch (const std::exception& e) {
                           outcome->error = std::string("head office cannot record this terminal: ") + e.what();
                           outcome->try_later = is_transient(e);
                           spdlog::error("ingest: hello of {}: {}", contact.terminal_id, e.what());
                       }
                   },
               .finish =
                   [outcome, done = std::move(done)](const Failure& failed) {
                       if (!failed.error.empty()) {
                           outcome->error = failed.error;
                           outcome->try_later = failed.try_later;
                       }
                       done(*outcome);
                   }});
}

void Ingest::store(const sync::PeerIdentity& peer, const v1::EventBatch& batch,
                   std::function<void(sync::StoreOutcome)> done) {
    const v1::EventBatch* events = &batch;  // valid until `done` (ServerHandler's contract)
    auto outcome = std::make_shared<sync::StoreOutcome>();
    auto stored = std::make_shared<std::size_t>(0);
    std::string terminal = peer.terminal_id;
    submit(Job{.run =
                   [terminal, events, outcome, stored](JournalWrite& write) {
                       try {
                           const BatchResult result = write.store_batch(terminal, *events, Clock::now());
                           outcome->stored_through = result.stored_through;
                           *stored = result.new_events;
                       } catch (const std::exception& e) {
                           outcome->error = std::string("batch refused, nothing of it was stored: ") + e.what();
                           outcome->try_later = is_transient(e);
                           spdlog::error("ingest: batch of {}: {}", terminal, e.what());
                       }
                   },
               .finish =
                   [this, outcome, stored, done = std::move(done)](const Failure& failed) {
                       if (!failed.error.empty()) {
                           outcome->error = failed.error;
                           outcome->try_later = failed.try_later;
                       }
                       if (outcome->error.empty()) {
                           std::lock_guard lock(mutex_);
                           stats_.events += *stored;
                           ++stats_.batches;
                       }
                       done(*outcome);
                   }});
}

void Ingest::disconnected(const sync::PeerIdentity& peer) {
    std::string terminal = peer.terminal_id;
    submit(Job{.run =
                   [terminal](JournalWrite& write) {
                       try {
                           write.record_disconnect(terminal, Clock::now());
                       } catch (const std::exception& e) {
                           spdlog::warn("ingest: disconnect of {} not recorded: {}", terminal, e.what());
                       }
                   },
               .finish = [](const Failure&) {}});
}

void Ingest::refresh_catalog_version() {
    try {
        catalog_version_ = writer_->catalog_version();
    } catch (const std::exception& e) {
        spdlog::warn("ingest: catalog version not read: {}", e.what());
    }
}

std::uint64_t Ingest::catalog_version() {
    return catalog_version_;
}

void Ingest::catalog_since(std::uint64_t have_version, std::function<void(sync::CatalogOutcome)> done) {
    catalog_.request(have_version, catalog_version_,
                     [done = std::move(done)](CatalogReader::Parts parts, const std::string& error, bool try_later) {
                         done({std::move(parts), error, try_later});
                     });
}

}  // namespace loyalty::hq
