#include "hq/ingest/catalog_reader.hpp"

#include <spdlog/spdlog.h>

namespace loyalty::hq {

CatalogReader::CatalogReader(std::unique_ptr<Storage> storage, std::size_t part_bytes, std::size_t cache_bytes)
    : storage_(std::move(storage)), part_bytes_(part_bytes), cache_bytes_(cache_bytes) {
    thread_ = std::thread([this] { run(); });
}

CatalogReader::~CatalogReader() {
    stop();
}

void CatalogReader::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

CatalogReader::Stats CatalogReader::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void CatalogReader::request(std::uint64_t have, std::uint64_t known, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            ++stats_.requests;
            queue_.push_back(Request{have, known, std::move(done)});
            wake_.notify_one();
            return;
        }
    }
    done(nullptr, "head office is shutting down", true);
}

void CatalogReader::run() {
    for (;;) {
        Request request;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything answered
            request = std::move(queue_.front());
            queue_.pop_front();
        }
        Parts parts;
        std::string error;
        bool try_later = false;
        try {
            parts = answer(request);
        } catch (const std::exception& e) {
            error = std::string("the catalog cannot be read: ") + e.what();
            try_later = is_transient(e);
            spdlog::error("catalog: delta from version {}: {}", request.have, e.what());
        }
        request.done(std::move(parts), error, try_later);
    }
}

CatalogReader::Parts CatalogReader::answer(const Request& request) {
    if (auto hit = cache_.find(request.have); hit != cache_.end() && hit->second.to >= request.known) {
        return hit->second.parts;
    }
    auto read =
        std::make_shared<const std::vector<v1::CatalogDelta>>(storage_->catalog_since(request.have, part_bytes_));
    {
        std::lock_guard lock(mutex_);
        ++stats_.reads;
    }
    const std::uint64_t to = read->empty() ? request.have : read->back().to_version();
    // What reaches an older version than this one is stale for everybody.
    for (auto it = cache_.begin(); it != cache_.end();) {
        if (it->second.to < to) {
            cached_bytes_ -= it->second.bytes;
            it = cache_.erase(it);
        } else {
            ++it;
        }
    }
    std::size_t bytes = sizeof(Entry);
    for (const auto& part : *read)
        bytes += part.ByteSizeLong();
    if (cached_bytes_ + bytes <= cache_bytes_) {
        if (auto old = cache_.find(request.have); old != cache_.end()) {
            cached_bytes_ -= old->second.bytes;
            cache_.erase(old);
        }
        cache_.emplace(request.have, Entry{to, read, bytes});
        cached_bytes_ += bytes;
    }
    return read;
}

}  // namespace loyalty::hq
