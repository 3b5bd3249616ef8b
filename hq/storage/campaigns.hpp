// Campaigns (issue [5/5], item 3): an offer aimed at an audience of profiled customers, with a
// control group held out so that the uplift can be measured (docs/head-office.md).
//
//   campaigns         the definition (loyalty.v1.Campaign), its state and last targeting run
//   campaign_members  every customer a run chose, targeted or held out as control, and when; kept
//                     for the report (an erased member stays under their pseudonym, as their sales)
//   sale_points       bonus points an offer gave in a sale (a campaign's cost counts them)
//
// Targeting reads only the profiles table, which holds customers with profiling consent and
// nobody else: without consent, never targeted. Whether a customer is held out is a hash of the
// campaign and customer ids against the control share, so it is the same on every run and every
// copy of the database. Targeted members get an assignment of the campaign's offer (with the
// campaign's end as expiry), which reaches every till through the catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite/database.hpp"
#include "hq/storage/storage.hpp"

namespace loyalty::hq {

class Campaigns {
public:
    // The schema campaigns need (head office's migration 8).
    static std::string_view schema();

    // `version` gives the catalog version of the write transaction it is called in; `write` runs
    // work in a durable transaction of its own.
    Campaigns(sqlite::Database& db, std::function<std::int64_t()> version,
              std::function<void(const std::function<void()>&)> write);

    // Inside a write transaction; the campaign's offer is already in the offers table.
    void put(const v1::Campaign& campaign, std::int64_t now_ms);
    std::vector<CampaignRow> list();
    // Inside a write transaction. False when unknown; throws StorageError for a retired campaign.
    bool set_state(const std::string& campaign_id, v1::CampaignState state, std::int64_t now_ms);
    // Each in transactions of its own (call outside one).
    std::vector<TargetingRun> run(std::int64_t now_ms, const std::string& only, const std::function<bool()>& stop);
    std::optional<CampaignUplift> uplift(const std::string& campaign_id, std::int64_t now_ms);

    // Inside the apply transaction: the customer withdrew profiling consent, so their campaign
    // assignments are taken back from the tills and their memberships deleted (spend after the
    // withdrawal is nobody's to analyse; given again, a later run may choose them anew).
    void consent_withdrawn(const std::string& customer_id);
    // A sale's bonus points per offer (inside the apply transaction).
    void sale_points(std::int64_t sale_row, const v1::PointsSummary& points);

private:
    struct Stored {
        v1::Campaign campaign;
        v1::CampaignState state = v1::CAMPAIGN_STATE_UNSPECIFIED;
        std::optional<std::int64_t> last_run;
    };
    std::optional<Stored> find(const std::string& campaign_id);
    CampaignRow row_of(const Stored& stored);
    TargetingRun target(const Stored& stored, std::int64_t now_ms, const std::function<bool()>& stop);
    // Takes the targeted members' assignments back (withdraw) or sends them again.
    void withdraw_members(const v1::Campaign& c, bool withdraw);

    sqlite::Database& db_;
    std::function<std::int64_t()> version_;
    std::function<void(const std::function<void()>&)> write_;
};

}  // namespace loyalty::hq
