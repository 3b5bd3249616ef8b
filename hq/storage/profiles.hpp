// Profiles: what head office knows of each shopper from what they buy (issue [5/5], item 1).
//
// Kept up to date event by event as the journal is applied (never recomputed from scratch per
// event), and only for customers who gave profiling consent: withdrawing it deletes the profile.
//   profiles              visits, spend (net of refunds), lines, first and last visit, the newest
//                         33 distinct visit days and the median gap between them; RFM scores,
//                         segment and churn ratio as of the last refresh
//   customer_months       spend and visits per calendar month (the year's spend for the tier)
//   profile_departments   spend and lines per department (favourites)
//   profile_products      baskets, spend and last purchase per product (favourites, "bought X
//                         within N days", bought-together)
// A periodic refresh (refresh()) recomputes the RFM quintile edges over all profiles and each
// profile's scores, segment, churn ratio and tier (from the last 12 months' spend against the
// configured thresholds, for every customer); an incremental update scores its customer with the
// edges it finds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sqlite/database.hpp"
#include "hq/storage/storage.hpp"
#include "loyalty/v1/events.pb.h"

namespace loyalty::hq {

class Profiles {
public:
    // The schema these tables need (head office's migration 3).
    static std::string_view schema();

    explicit Profiles(sqlite::Database& db) : db_(db) {}

    // Inside the apply transaction. `at_ms` is the sale's time at the till.
    void purchase(const std::string& customer_id, const v1::PurchaseEvent& p, std::int64_t at_ms);
    // The return stored as `return_row` (its lines in return_lines), for a profiled customer.
    // `rescore`: score the customer afterwards (a rebuild scores once, at its end).
    void refund(const std::string& customer_id, std::int64_t return_row, bool rescore = true);
    // The profile built again from the customer's stored sales and returns (consent given, or the
    // customer's enrollment arrived after purchases made at other tills).
    void rebuild(const std::string& customer_id);
    // A sale that arrived after a return of it (its till was offline): the returned lines come
    // off its departments and products now.
    void returned_before_sale(const std::string& customer_id, const std::string& terminal_id,
                              const std::string& sale_id);
    // Profiling consent withdrawn, or the customer erased: everything profiled goes.
    void forget(const std::string& customer_id);

    // The refresh, in steps so that it never holds the database long: new quintile edges over all
    // profiles (returns how many), then every profile scored against them, `limit` at a time in
    // customer id order after `cursor` (moved on; "" once done). Returns how many were scored.
    std::size_t refresh_edges(std::int64_t now_ms);
    std::size_t score_after(std::string& cursor, std::size_t limit, std::int64_t now_ms);
    // Every customer whose tier should change: spend (sales less refunds) over the 365 days
    // before `now_ms` against the thresholds. Tiers are the programme's, not profiling: every
    // customer has one, with consent or without.
    std::vector<std::pair<std::string, v1::Tier>> tier_changes(std::int64_t now_ms, const TierThresholds& tiers);

    std::optional<Profile> find(const std::string& customer_id);

private:
    const rules::RfmEdges& edges();
    struct Line {
        std::string department;
        std::string gtin;
        std::int64_t amount = 0;  // line total, or the refund
    };
    void basket(const std::string& customer_id, std::int64_t total, const std::vector<Line>& lines, std::int64_t at_ms,
                bool rescore = true);
    // False while the returned sale has not arrived.
    bool refund_lines(const std::string& customer_id, std::int64_t return_row);
    void score(const std::string& customer_id, std::int64_t now_ms);

    sqlite::Database& db_;
    std::optional<rules::RfmEdges> edges_;
    std::chrono::steady_clock::time_point edges_read_{};
};

}  // namespace loyalty::hq
