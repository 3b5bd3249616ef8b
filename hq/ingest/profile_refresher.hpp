// ProfileRefresher: runs the profiles' periodic refresh (RFM quintile edges, scores, segments,
// churn ratios, tiers: Storage::refresh_profiles) on a thread of its own with its own database
// connection, once soon after serve starts and then every `every`; after each refresh it targets
// the live campaigns (Storage::run_campaigns). The refresh works in short
// transactions, so the ingest's writer waits milliseconds at most behind it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "hq/storage/storage.hpp"

namespace loyalty::hq {

class ProfileRefresher {
public:
    ProfileRefresher(std::unique_ptr<Storage> storage, std::chrono::minutes every, TierThresholds tiers,
                     std::chrono::seconds first_after = std::chrono::seconds(10));
    ~ProfileRefresher();
    ProfileRefresher(const ProfileRefresher&) = delete;
    ProfileRefresher& operator=(const ProfileRefresher&) = delete;

    // A refresh under way stops after its current transaction (the rest waits for the next one).
    void stop();

private:
    void run(std::chrono::seconds first_after);

    std::unique_ptr<Storage> storage_;
    const std::chrono::minutes every_;
    const TierThresholds tiers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace loyalty::hq
