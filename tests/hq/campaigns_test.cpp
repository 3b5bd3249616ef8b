// Campaigns on generated data (hq/synth fed through head office's ingest path): the audience this
// test works out on its own from the very same events is exactly who becomes a member; the control
// group is held out at the configured share and gets no assignment; nobody without profiling
// consent is ever targeted; redemptions and spend made during the campaign come back in the uplift
// report, checked against figures computed here; pause, resume and retire reach the catalog; a
// customer who withdraws consent loses the assignment.
#include "hq/storage/campaigns.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <google/protobuf/util/time_util.h>
#include <map>
#include <set>

#include "common/sqlite/database.hpp"
#include "hq/rules/campaign_rules.hpp"
#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using google::protobuf::util::TimeUtil;

namespace {

constexpr std::int64_t k_day = 86'400'000;

std::int64_t ms(const v1::Event& e) {
    return TimeUtil::TimestampToMilliseconds(e.header().terminal_time());
}

struct Members {
    std::set<std::string> targeted, control;
};

Members members_of(const std::filesystem::path& db, const std::string& campaign) {
    sqlite::Database check(db, sqlite::OpenMode::read_only);
    auto read = check.prepare("SELECT customer_id, control FROM campaign_members WHERE campaign_id = ?");
    read.bind(1, campaign);
    Members m;
    while (read.step())
        (read.column_int64(1) != 0 ? m.control : m.targeted).insert(read.column_text(0));
    return m;
}

// Who holds a live assignment of `offer` in a full resync of the catalog.
std::set<std::string> assigned(hq::Storage& storage, const std::string& offer) {
    std::set<std::string> out;
    for (const auto& part : storage.catalog_since(0, 1 << 22))
        for (const auto& a : part.assignments())
            if (a.offer_id() == offer) out.insert(a.customer_id());
    return out;
}

v1::Offer assigned_offer(const std::string& id, const std::string& department) {
    v1::Offer offer;
    offer.set_offer_id(id);
    offer.set_name("20% off " + department);
    offer.set_receipt_text("Your coupon: 20% off " + department);
    offer.mutable_percent_off()->mutable_items()->add_departments(department);
    offer.mutable_percent_off()->set_basis_points(2000);
    offer.mutable_targeting()->set_audience(v1::AUDIENCE_ASSIGNED);
    return offer;
}

v1::Campaign campaign(const std::string& id, const std::string& offer, std::int64_t starts, std::int64_t ends,
                      std::uint32_t control_bp) {
    v1::Campaign c;
    c.set_campaign_id(id);
    c.set_name(id);
    c.set_offer_id(offer);
    *c.mutable_starts() = TimeUtil::MillisecondsToTimestamp(starts);
    *c.mutable_ends() = TimeUtil::MillisecondsToTimestamp(ends);
    c.set_control_basis_points(control_bp);
    return c;
}

// A till's further events: one-line sales at given times, numbered after the chain's.
struct Till {
    const hq::synth::Chain& chain;
    std::string terminal, store;
    std::uint64_t next;
    v1::EventBatch batch;

    explicit Till(const hq::synth::Chain& c)
        : chain(c), terminal(c.terminals[0][0]), store(c.stores[0]), next(c.events.at(terminal).size()) {}

    v1::Event& event(std::int64_t at_ms) {
        v1::Event& e = *batch.add_events();
        e.mutable_header()->set_terminal_id(terminal);
        e.mutable_header()->set_store_id(store);
        e.mutable_header()->set_sequence(++next);
        *e.mutable_header()->mutable_terminal_time() = TimeUtil::MillisecondsToTimestamp(at_ms);
        return e;
    }
    void sale(const hq::synth::Customer& who, std::int64_t at_ms, std::int64_t subtotal, const std::string& offer,
              std::int64_t discount) {
        auto& p = *event(at_ms).mutable_purchase();
        p.set_sale_id(terminal + "-CAMPAIGN-" + std::to_string(next));
        p.set_customer_id(who.customer_id);
        p.set_loyalty_card(who.loyalty_card);
        auto& line = *p.add_lines();
        line.set_line_no(1);
        line.set_gtin(chain.products[0].gtin);
        line.set_department(chain.products[0].department);
        line.mutable_quantity()->set_units(1);
        line.mutable_line_total()->set_minor_units(subtotal);
        if (discount > 0) {
            auto& d = *p.add_discounts();
            d.set_offer_id(offer);
            d.mutable_amount()->set_minor_units(discount);
        }
        p.mutable_subtotal()->set_minor_units(subtotal);
        p.mutable_discount_total()->set_minor_units(discount);
        p.mutable_total()->set_minor_units(subtotal - discount);
    }
    // The shopper shows their card (a till changes consents only of customers it identified).
    void withdraw_consent(const std::string& customer_id, std::int64_t at_ms) {
        auto& c = *event(at_ms).mutable_consent();
        c.set_customer_id(customer_id);
        for (const auto& customer : chain.customers)
            if (customer.customer_id == customer_id) c.set_loyalty_card(customer.loyalty_card);
        auto& change = *c.add_changes();
        change.set_purpose(v1::CONSENT_PURPOSE_PROFILING);
        change.set_granted(false);
    }
    void send(hq::Storage& storage) {
        {
            const auto write = storage.begin_journal();
            write->store_batch(terminal, batch, hq::Clock::now());
            write->commit();
        }
        while (storage.apply_stored(500) > 0) {
        }
        batch.Clear();
    }
};

// A generated chain fed to head office; `now` is the end of its last day.
struct Generated {
    hq::synth::Chain chain;
    std::unique_ptr<hq::Storage> storage;
    std::int64_t now;
    Generated(const test::TempDir& dir, const hq::synth::Options& options)
        : chain(hq::synth::generate(options)),
          storage(hq::open_sqlite_storage(dir / "hq.db")),
          now(std::chrono::duration_cast<std::chrono::milliseconds>(
                  (options.first_day + std::chrono::days{options.days}).time_since_epoch())
                  .count()) {
        hq::synth::feed(*storage, chain);
    }
};

}  // namespace

TEST_CASE("a campaign targets exactly its audience among consenting customers, the control share held out") {
    test::TempDir dir;
    Generated g(dir, {.seed = 21, .customers = 400, .days = 60, .profiling_consent_share = 0.8});
    const auto& chain = g.chain;
    auto& storage = g.storage;
    const std::int64_t now = g.now;
    storage->refresh_profiles(hq::Clock::time_point{std::chrono::milliseconds{now}}, {});

    // Bought bakery in the last 28 days, but not in the last 5 (lapsed 5 days).
    std::map<std::string, std::int64_t> last_visit, last_bakery;
    for (const v1::Event* e : chain.in_time_order()) {
        if (!e->has_purchase() || e->purchase().customer_id().empty()) continue;
        const auto& p = e->purchase();
        last_visit[p.customer_id()] = std::max(last_visit[p.customer_id()], ms(*e));
        for (const auto& line : p.lines())
            if (line.department() == "bakery")
                last_bakery[p.customer_id()] = std::max(last_bakery[p.customer_id()], ms(*e));
    }
    std::set<std::string> audience, refused;
    for (const auto& c : chain.customers) {
        const bool in = last_bakery.contains(c.customer_id) && last_bakery[c.customer_id] >= now - 28 * k_day &&
                        last_visit[c.customer_id] < now - 5 * k_day;
        if (in && c.profiling_consent) audience.insert(c.customer_id);
        if (in && !c.profiling_consent) refused.insert(c.customer_id);
    }
    REQUIRE(audience.size() > 30);
    REQUIRE_FALSE(refused.empty());  // would be in the audience but for consent

    storage->put_offers({assigned_offer("BAKERY-BACK", "bakery")}, nullptr);
    v1::Campaign c = campaign("BAKERY-BACK", "BAKERY-BACK", now, now + 14 * k_day, 2000);
    auto& bought = *c.mutable_audience()->add_bought();
    bought.set_department("bakery");
    bought.set_within_days(28);
    c.mutable_audience()->set_lapsed_days(5);
    storage->put_campaign(c, nullptr);
    const auto runs = storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}});
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].skipped.empty());

    const Members m = members_of(dir / "hq.db", "BAKERY-BACK");
    std::set<std::string> all = m.targeted;
    all.insert(m.control.begin(), m.control.end());
    CHECK(all == audience);
    CHECK(runs[0].targeted == m.targeted.size());
    CHECK(runs[0].control == m.control.size());
    for (const auto& id : m.control)
        CHECK(hq::rules::in_control("BAKERY-BACK", id, 2000));
    for (const auto& id : m.targeted)
        CHECK_FALSE(hq::rules::in_control("BAKERY-BACK", id, 2000));
    CHECK_FALSE(m.control.empty());
    // Only the targeted members hold the offer; nobody without consent does.
    CHECK(assigned(*storage, "BAKERY-BACK") == m.targeted);
    for (const auto& id : refused)
        CHECK_FALSE(all.contains(id));

    // Everyone profiled, a quarter held out: the share holds on real ids.
    CHECK_THROWS_WITH(storage->put_campaign(campaign("EVERYONE", "BAKERY-BACK", now, now + k_day, 2500), nullptr),
                      Catch::Contains("is campaign BAKERY-BACK's"));
    storage->put_offers({assigned_offer("EVERYONE", "dairy")}, nullptr);
    storage->put_campaign(campaign("EVERYONE", "EVERYONE", now, now + 14 * k_day, 2500), nullptr);
    storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}}, "EVERYONE");
    const Members e = members_of(dir / "hq.db", "EVERYONE");
    std::size_t consenting = 0;
    for (const auto& customer : chain.customers)
        consenting += customer.profiling_consent ? 1 : 0;
    CHECK(e.targeted.size() + e.control.size() == consenting);
    const double share = static_cast<double>(e.control.size()) / static_cast<double>(consenting);
    CHECK(std::abs(share - 0.25) < 3 * std::sqrt(0.25 * 0.75 / static_cast<double>(consenting)));

    // Run again: nobody new, nobody moved between groups.
    const auto again = storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now + 1000}});
    for (const auto& run : again)
        CHECK(run.targeted + run.control == 0);
    CHECK(members_of(dir / "hq.db", "BAKERY-BACK").control == m.control);

    // An offer for everyone cannot carry a campaign: its control group would get it too.
    v1::Offer open = assigned_offer("OPEN", "bakery");
    open.mutable_targeting()->set_audience(v1::AUDIENCE_MEMBERS);
    storage->put_offers({open}, nullptr);
    CHECK_THROWS_WITH(storage->put_campaign(campaign("OPEN-C", "OPEN", now, now + k_day, 1000), nullptr),
                      Catch::Contains("AUDIENCE_ASSIGNED"));
    CHECK_THROWS_WITH(storage->put_campaign(campaign("NONE", "NO-SUCH-OFFER", now, now + k_day, 1000), nullptr),
                      Catch::Contains("no live offer NO-SUCH-OFFER"));
}

TEST_CASE("redemptions and spend during a campaign come back in its uplift report") {
    test::TempDir dir;
    Generated g(dir, {.seed = 5, .customers = 300, .days = 40, .profiling_consent_share = 0.9});
    const auto& chain = g.chain;
    auto& storage = g.storage;
    const std::int64_t now = g.now;
    const auto at = [](std::int64_t t) { return hq::Clock::time_point{std::chrono::milliseconds{t}}; };
    storage->refresh_profiles(at(now), {});
    // The offer defined with the campaign (as a campaign file's [offer] table gives it).
    v1::Campaign c = campaign("DAIRY-UP", "DAIRY-UP", now, now + 14 * k_day, 3000);
    c.set_owns_offer(true);
    c.mutable_budget()->set_minor_units(1'000'000);
    v1::Offer offer = assigned_offer("DAIRY-UP", "dairy");
    offer.set_campaign_id("DAIRY-UP");
    storage->put_campaign(c, &offer);
    storage->run_campaigns(at(now));
    const Members m = members_of(dir / "hq.db", "DAIRY-UP");
    REQUIRE(m.targeted.size() > 100);
    REQUIRE(m.control.size() > 40);

    // During the campaign: every third targeted member redeems (spend 40.00, 8.00 off); every
    // fifth control member shops (spend 30.00). After its end: another sale, which must not count
    // (the generated sales before it do not either).
    std::map<std::string, const hq::synth::Customer*> by_id;
    for (const auto& customer : chain.customers)
        by_id[customer.customer_id] = &customer;
    Till till(chain);
    std::map<std::string, double> spend;  // per member, within the window
    std::int64_t redemptions = 0, cost = 0;
    int i = 0;
    for (const auto& id : m.targeted) {
        spend[id] = 0;
        if (i++ % 3 != 0) continue;
        till.sale(*by_id.at(id), now + 2 * k_day, 4000, "DAIRY-UP", 800);
        spend[id] += 3200;
        ++redemptions;
        cost += 800;
    }
    i = 0;
    for (const auto& id : m.control) {
        spend[id] = 0;
        if (i++ % 5 != 0) continue;
        till.sale(*by_id.at(id), now + 3 * k_day, 3000, "", 0);
        spend[id] += 3000;
    }
    const auto& late = *by_id.at(*m.targeted.begin());
    till.sale(late, now + 20 * k_day, 9900, "DAIRY-UP", 100);  // after the end
    till.send(*storage);

    const auto u = storage->campaign_uplift("DAIRY-UP", at(now + 30 * k_day));
    REQUIRE(u.has_value());
    CHECK(u->row.targeted == m.targeted.size());
    CHECK(u->row.control == m.control.size());
    CHECK(static_cast<std::int64_t>(u->row.redemptions) == redemptions);
    CHECK(u->row.cost == cost);
    CHECK(static_cast<std::int64_t>(u->redeemers) == redemptions);
    CHECK_FALSE(u->row.budget_spent);
    // Means and Welch's interval, computed here.
    const auto moments = [&](const std::set<std::string>& group) {
        double sum = 0;
        for (const auto& id : group)
            sum += spend.at(id);
        const double mean = sum / static_cast<double>(group.size());
        double ss = 0;
        for (const auto& id : group)
            ss += (spend.at(id) - mean) * (spend.at(id) - mean);
        return std::pair{mean, ss / static_cast<double>(group.size() - 1)};
    };
    const auto [mt, vt] = moments(m.targeted);
    const auto [mc, vc] = moments(m.control);
    CHECK(u->targeted_mean == Approx(mt));
    CHECK(u->control_mean == Approx(mc));
    CHECK(u->uplift == Approx(mt - mc));
    const double se =
        std::sqrt(vt / static_cast<double>(m.targeted.size()) + vc / static_cast<double>(m.control.size()));
    REQUIRE(u->ci_low.has_value());
    CHECK(*u->ci_low == Approx(mt - mc - 1.96 * se));
    CHECK(*u->ci_high == Approx(mt - mc + 1.96 * se));
    CHECK(u->incremental_revenue == Approx((mt - mc) * static_cast<double>(m.targeted.size())));

    // A budget smaller than what was given: no new members.
    c.mutable_budget()->set_minor_units(cost);
    storage->put_campaign(c, &offer);
    const auto runs = storage->run_campaigns(at(now + 4 * k_day), "DAIRY-UP");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].skipped == "budget spent");
    CHECK(storage->campaigns().at(0).budget_spent);
}

TEST_CASE("pause, resume and retire reach the tills, and withdrawn consent takes the assignment back") {
    test::TempDir dir;
    Generated g(dir, {.seed = 3, .customers = 80, .days = 30, .profiling_consent_share = 1.0});
    const auto& chain = g.chain;
    auto& storage = g.storage;
    const std::int64_t now = g.now;
    storage->refresh_profiles(hq::Clock::time_point{std::chrono::milliseconds{now}}, {});
    v1::Campaign c = campaign("ALL", "ALL", now, now + 7 * k_day, 1000);
    c.set_owns_offer(true);
    v1::Offer offer = assigned_offer("ALL", "meat");
    offer.set_campaign_id("ALL");
    storage->put_campaign(c, &offer);
    storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}});
    const Members m = members_of(dir / "hq.db", "ALL");
    REQUIRE(m.targeted.size() > 50);
    CHECK(assigned(*storage, "ALL") == m.targeted);

    const auto withdrawn_since = [&](std::uint64_t version) {
        std::set<std::string> out;
        for (const auto& part : storage->catalog_since(version, 1 << 22))
            for (const auto& r : part.revocations())
                if (r.kind() == v1::REVOCATION_KIND_ASSIGNMENT_WITHDRAWN && r.offer_id() == "ALL")
                    out.insert(r.customer_id());
        return out;
    };
    std::uint64_t version = storage->catalog_version();
    REQUIRE(storage->set_campaign_state("ALL", v1::CAMPAIGN_STATE_PAUSED));
    CHECK(withdrawn_since(version) == m.targeted);
    CHECK(assigned(*storage, "ALL").empty());
    CHECK(storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}}, "ALL").at(0).skipped ==
          "paused");
    REQUIRE(storage->set_campaign_state("ALL", v1::CAMPAIGN_STATE_LIVE));
    CHECK(assigned(*storage, "ALL") == m.targeted);

    // A targeted member withdraws profiling consent at a till: the assignment goes at once.
    const std::string leaver = *m.targeted.begin();
    version = storage->catalog_version();
    Till till(chain);
    till.withdraw_consent(leaver, now + k_day);
    till.send(*storage);
    CHECK(withdrawn_since(version) == std::set<std::string>{leaver});
    CHECK_FALSE(assigned(*storage, "ALL").contains(leaver));
    CHECK_FALSE(members_of(dir / "hq.db", "ALL").targeted.contains(leaver));  // membership is profiling too
    // Resumed after a pause, still not theirs.
    storage->set_campaign_state("ALL", v1::CAMPAIGN_STATE_PAUSED);
    storage->set_campaign_state("ALL", v1::CAMPAIGN_STATE_LIVE);
    CHECK_FALSE(assigned(*storage, "ALL").contains(leaver));
    CHECK(assigned(*storage, "ALL").size() == m.targeted.size() - 1);

    // The campaign's offer and members are the campaign's business only.
    CHECK_THROWS_WITH(storage->put_offers({offer}, nullptr), Catch::Contains("is campaign ALL's"));
    v1::OfferAssignment manual;
    manual.set_offer_id("ALL");
    manual.set_customer_id(*m.control.begin());
    CHECK_THROWS_WITH(storage->assign(manual), Catch::Contains("is campaign ALL's"));
    v1::Campaign other_share = c;
    other_share.set_control_basis_points(5000);
    CHECK_THROWS_WITH(storage->put_campaign(other_share, &offer), Catch::Contains("control share"));

    // At most `max_customers` assigned.
    v1::Campaign capped = campaign("CAPPED", "CAPPED", now, now + 7 * k_day, 1000);
    capped.set_max_customers(10);
    capped.set_owns_offer(true);
    v1::Offer capped_offer = assigned_offer("CAPPED", "meat");
    capped_offer.set_campaign_id("CAPPED");
    storage->put_campaign(capped, &capped_offer);
    storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}}, "CAPPED");
    CHECK(members_of(dir / "hq.db", "CAPPED").targeted.size() == 10);
    CHECK(assigned(*storage, "CAPPED").size() == 10);
    CHECK(storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}}, "CAPPED").at(0).skipped ==
          "max_customers reached");

    // An offer that needs a code: every targeted member gets a code of their own.
    v1::Campaign coded = campaign("CODED", "CODED", now, now + 7 * k_day, 1000);
    coded.set_owns_offer(true);
    v1::Offer coded_offer = assigned_offer("CODED", "meat");
    coded_offer.set_campaign_id("CODED");
    coded_offer.mutable_limits()->set_requires_code(true);
    storage->put_campaign(coded, &coded_offer);
    storage->run_campaigns(hq::Clock::time_point{std::chrono::milliseconds{now}}, "CODED");
    std::set<std::string> codes;
    for (const auto& part : storage->catalog_since(0, 1 << 22)) {
        for (const auto& a : part.assignments()) {
            if (a.offer_id() != "CODED") continue;
            CHECK(a.code().size() == 6 + 12);
            CHECK(a.code().starts_with("CODED-"));
            CHECK(a.code().find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ", 6) == std::string::npos);
            codes.insert(a.code());
        }
    }
    CHECK(codes.size() == members_of(dir / "hq.db", "CODED").targeted.size());
    CHECK(codes.size() > 50);

    // Retired: its own offer is retired with it (the tills drop the offer and its assignments).
    version = storage->catalog_version();
    REQUIRE(storage->set_campaign_state("ALL", v1::CAMPAIGN_STATE_RETIRED));
    bool offer_removed = false;
    for (const auto& part : storage->catalog_since(version, 1 << 22))
        for (const auto& id : part.removed_offer_ids())
            offer_removed |= id == "ALL";
    CHECK(offer_removed);
    CHECK_THROWS_WITH(storage->set_campaign_state("ALL", v1::CAMPAIGN_STATE_LIVE), Catch::Contains("retired"));
    CHECK_THROWS_WITH(storage->put_campaign(c, &offer), Catch::Contains("was retired"));
    CHECK_FALSE(storage->set_campaign_state("NOPE", v1::CAMPAIGN_STATE_PAUSED));

    // Erased members stay in the report under their pseudonym, not their id.
    const auto erased = storage->erase_customer(*std::next(m.targeted.begin()));
    REQUIRE(erased.has_value());
    const Members after = members_of(dir / "hq.db", "ALL");
    CHECK_FALSE(after.targeted.contains(*std::next(m.targeted.begin())));
    CHECK(after.targeted.contains(erased->pseudonym));
}

TEST_CASE("each audience condition picks the customers the profiles, tiers, birthdays and baskets say") {
    test::TempDir dir;
    Generated g(dir, {.seed = 17, .customers = 300, .days = 90, .profiling_consent_share = 0.85});
    const std::int64_t now = g.now;
    const auto at = hq::Clock::time_point{std::chrono::milliseconds{now}};
    g.storage->refresh_profiles(at, {.silver = 20'000, .gold = 40'000, .platinum = 80'000},
                                {.window_days = 90, .min_pair_baskets = 3});
    int n = 0;
    // Everyone a campaign with this audience (and no control group) makes a member.
    const auto members = [&](const v1::CampaignAudience& audience) {
        const std::string id = "C" + std::to_string(++n);
        g.storage->put_offers({assigned_offer(id, "dairy")}, nullptr);
        v1::Campaign c = campaign(id, id, now, now + 7 * k_day, 0);
        *c.mutable_audience() = audience;
        g.storage->put_campaign(c, nullptr);
        g.storage->run_campaigns(at, id);
        const Members m = members_of(dir / "hq.db", id);
        CHECK(m.control.empty());
        return m.targeted;
    };
    std::map<std::string, hq::Profile> profiles;
    std::map<std::string, v1::Customer> customers;
    for (const auto& c : g.chain.customers) {
        if (auto p = g.storage->profile(c.customer_id)) profiles[c.customer_id] = *p;
        customers[c.customer_id] = *g.storage->customer(c.customer_id);
    }
    REQUIRE(profiles.size() > 200);
    const auto where = [&](auto keep) {
        std::set<std::string> out;
        for (const auto& [id, p] : profiles)
            if (keep(id, p)) out.insert(id);
        return out;
    };

    v1::CampaignAudience a;
    a.add_segments("loyal");
    a.add_segments("champion");
    const auto by_segment =
        where([](auto&, const hq::Profile& p) { return p.segment == "loyal" || p.segment == "champion"; });
    CHECK_FALSE(by_segment.empty());
    CHECK(members(a) == by_segment);

    a.Clear();
    a.add_tiers(v1::TIER_GOLD);
    const auto gold = where([&](const std::string& id, auto&) { return customers[id].tier() == v1::TIER_GOLD; });
    CHECK_FALSE(gold.empty());
    CHECK(members(a) == gold);

    a.Clear();
    a.mutable_recency()->set_min(4);
    a.mutable_recency()->set_max(5);
    a.mutable_monetary()->set_min(3);
    a.mutable_monetary()->set_max(5);
    const auto rfm = where([](auto&, const hq::Profile& p) { return p.recency >= 4 && p.monetary >= 3; });
    CHECK_FALSE(rfm.empty());
    CHECK(members(a) == rfm);

    a.Clear();
    a.set_lapsed_days(14);
    const auto lapsed = where([&](auto&, const hq::Profile& p) { return p.last_visit_ms < now - 14 * k_day; });
    CHECK_FALSE(lapsed.empty());
    CHECK(members(a) == lapsed);

    a.Clear();
    a.set_birthday_month(true);
    // The campaign runs a week from `now`: birthdays in either month it touches.
    std::set<int> months;
    for (int d = 0; d < 7; ++d) {
        months.insert(static_cast<int>(static_cast<unsigned>(
            std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(at + std::chrono::days{d})}.month())));
    }
    const auto birthdays = where([&](const std::string& id, auto&) {
        return customers[id].contact().has_birthday() && months.contains(customers[id].contact().birthday().month());
    });
    CHECK_FALSE(birthdays.empty());
    CHECK(members(a) == birthdays);

    // Bought a product in the last 30 days, and did not buy bakery in the last 10.
    const std::string gtin = g.chain.products[0].gtin;
    std::map<std::string, std::int64_t> last_gtin, last_bakery;
    std::map<std::string, std::set<std::string>> stores_of;
    for (const v1::Event* e : g.chain.in_time_order()) {
        if (!e->has_purchase() || e->purchase().customer_id().empty()) continue;
        const std::string& id = e->purchase().customer_id();
        if (ms(*e) >= now - 365 * k_day) stores_of[id].insert(e->header().store_id());
        for (const auto& line : e->purchase().lines()) {
            if (line.gtin() == gtin) last_gtin[id] = std::max(last_gtin[id], ms(*e));
            if (line.department() == "bakery") last_bakery[id] = std::max(last_bakery[id], ms(*e));
        }
    }
    a.Clear();
    auto& bought = *a.add_bought();
    bought.set_gtin(gtin);
    bought.set_within_days(30);
    auto& not_bought = *a.add_not_bought();
    not_bought.set_department("bakery");
    not_bought.set_within_days(10);
    const auto purchases = where([&](const std::string& id, auto&) {
        return last_gtin[id] >= now - 30 * k_day && last_bakery[id] < now - 10 * k_day;
    });
    CHECK_FALSE(purchases.empty());
    CHECK(members(a) == purchases);

    a.Clear();
    a.add_stores(g.chain.stores[1]);
    const auto shoppers =
        where([&](const std::string& id, auto&) { return stores_of[id].contains(g.chain.stores[1]); });
    CHECK_FALSE(shoppers.empty());
    CHECK(members(a) == shoppers);

    // Likely to buy: the same customers Storage::likely_to_buy names.
    const auto rules = g.storage->bought_together(1, 1.0);
    REQUIRE_FALSE(rules.empty());
    a.Clear();
    auto& likely = *a.add_likely_to_buy();
    likely.set_gtin(rules[0].y);
    likely.set_min_lift(1.0);
    likely.set_not_within_days(14);
    const auto named = g.storage->likely_to_buy(rules[0].y, 1.0, at - std::chrono::days{14});
    CHECK_FALSE(named.empty());
    CHECK(members(a) == std::set<std::string>(named.begin(), named.end()));
}
