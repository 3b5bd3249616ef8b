#include "hq/ingest/profile_refresher.hpp"

#include <spdlog/spdlog.h>

namespace loyalty::hq {

ProfileRefresher::ProfileRefresher(std::unique_ptr<Storage> storage, std::chrono::minutes every, TierThresholds tiers,
                                   std::chrono::seconds first_after)
    : storage_(std::move(storage)), every_(every), tiers_(tiers) {
    thread_ = std::thread([this, first_after] { run(first_after); });
}

ProfileRefresher::~ProfileRefresher() {
    stop();
}

void ProfileRefresher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void ProfileRefresher::run(std::chrono::seconds first_after) {
    std::chrono::steady_clock::duration wait = first_after;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, wait, [this] { return stopping_.load(); })) return;
        }
        wait = every_;
        const auto started = std::chrono::steady_clock::now();
        try {
            const ProfileRefresh done =
                storage_->refresh_profiles(Clock::now(), tiers_, {}, [this] { return stopping_.load(); });
            spdlog::info(
                "profiles: {} scored, {} tier(s) changed, {} bought-together rule(s) in {} ms", done.profiles,
                done.tiers_changed, done.rules,
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                    .count());
        } catch (const std::exception& e) {
            spdlog::error("profiles: refresh failed, tried again in {} min: {}", every_.count(), e.what());
        }
        // Then the campaigns, against the fresh segments and scores.
        try {
            for (const TargetingRun& run :
                 storage_->run_campaigns(Clock::now(), {}, [this] { return stopping_.load(); })) {
                if (run.targeted + run.control > 0) spdlog::info("campaign {}", run.describe());
            }
        } catch (const std::exception& e) {
            spdlog::error("campaigns: targeting failed, tried again in {} min: {}", every_.count(), e.what());
        }
    }
}

}  // namespace loyalty::hq
