#include "hq/ingest/ingest.hpp"

#include <spdlog/spdlog.h>

namespace loyalty::hq {
namespace {
// A catalog part well under the 4 MiB frame limit.
constexpr std::size_t k_catalog_part_bytes = 1024 * 1024;
}  // namespace

Ingest::Ingest(std::unique_ptr<Storage> writer, std::unique_ptr<Storage> reader)
    : writer_(std::move(writer)), reader_(std::move(reader)) {
    writer_->forget_connections();
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
    job.finish("head office is shutting down");
}

void Ingest::writer_loop() {
    for (;;) {
        std::deque<Job> group;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything answered
            group.swap(queue_);
        }
        std::string error;
        try {
            writer_->write_group([&] {
                for (auto& job : group)
                    job.run();
            });
        } catch (const std::exception& e) {
            error = std::string("storage failed, nothing of this batch was kept: ") + e.what();
            spdlog::error("ingest: {} ({} request(s) refused)", e.what(), group.size());
        }
        {
            std::lock_guard lock(mutex_);
            ++stats_.commits;
        }
        for (auto& job : group)
            job.finish(error);
    }
}

void Ingest::hello(const sync::PeerIdentity& peer, const v1::Hello& hello,
                   std::function<void(sync::HelloOutcome)> done) {
    TerminalContact contact{.store_id = peer.store_id,
                            .terminal_id = peer.terminal_id,
                            .database_id = hello.database_id(),
                            .software_version = hello.software_version(),
                            .acked_through = hello.acked_through_sequence(),
                            .next_sequence = hello.next_sequence(),
                            .catalog_version = hello.catalog_version(),
                            .at = Clock::now()};
    auto outcome = std::make_shared<sync::HelloOutcome>();
    submit(Job{.run =
                   [this, contact, outcome] {
                       try {
                           outcome->stored_through = writer_->record_hello(contact);
                       } catch (const std::exception& e) {
                           outcome->error = std::string("head office cannot record this terminal: ") + e.what();
                           spdlog::error("ingest: hello of {}: {}", contact.terminal_id, e.what());
                       }
                   },
               .finish =
                   [outcome, done = std::move(done)](const std::string& error) {
                       if (!error.empty()) outcome->error = error;
                       done(*outcome);
                   }});
}

void Ingest::store(const sync::PeerIdentity& peer, v1::EventBatch batch, std::function<void(sync::StoreOutcome)> done) {
    auto shared = std::make_shared<v1::EventBatch>(std::move(batch));
    auto outcome = std::make_shared<sync::StoreOutcome>();
    auto stored = std::make_shared<std::size_t>(0);
    std::string terminal = peer.terminal_id;
    submit(Job{.run =
                   [this, terminal, shared, outcome, stored] {
                       try {
                           const BatchResult result = writer_->store_batch(terminal, *shared, Clock::now());
                           outcome->stored_through = result.stored_through;
                           *stored = result.new_events;
                       } catch (const std::exception& e) {
                           outcome->error = std::string("batch refused, nothing of it was stored: ") + e.what();
                           spdlog::error("ingest: batch of {}: {}", terminal, e.what());
                       }
                   },
               .finish =
                   [this, outcome, stored, done = std::move(done)](const std::string& error) {
                       if (!error.empty()) outcome->error = error;
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
                   [this, terminal] {
                       try {
                           writer_->record_disconnect(terminal, Clock::now());
                       } catch (const std::exception& e) {
                           spdlog::warn("ingest: disconnect of {} not recorded: {}", terminal, e.what());
                       }
                   },
               .finish = [](const std::string&) {}});
}

std::uint64_t Ingest::catalog_version() {
    return reader_->catalog_version();
}

std::vector<v1::CatalogDelta> Ingest::catalog_since(std::uint64_t have_version) {
    return reader_->catalog_since(have_version, k_catalog_part_bytes);
}

}  // namespace loyalty::hq
