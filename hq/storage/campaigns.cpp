#include "hq/storage/campaigns.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <random>
#include <variant>

#include "common/random_text.hpp"
#include "hq/rules/campaign_rules.hpp"

namespace loyalty::hq {
namespace {

constexpr std::string_view k_schema = R"sql(
CREATE TABLE campaigns (
    campaign_id TEXT PRIMARY KEY,
    offer_id    TEXT NOT NULL,
    body        BLOB NOT NULL,
    state       INTEGER NOT NULL,
    added_at    INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    last_run    INTEGER
) WITHOUT ROWID;
CREATE TABLE campaign_members (
    campaign_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    control     INTEGER NOT NULL,
    chosen_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX campaign_members_customer ON campaign_members (customer_id);
CREATE TABLE sale_points (
    sale     INTEGER NOT NULL REFERENCES sales (id),
    n        INTEGER NOT NULL,
    offer_id TEXT NOT NULL,
    points   INTEGER NOT NULL,
    PRIMARY KEY (sale, n)
) WITHOUT ROWID;
CREATE INDEX sale_points_offer ON sale_points (offer_id);
)sql";

constexpr std::size_t k_chunk = 2000;  // customers per targeting transaction

// birth_month(birthday): the month of a stored loyalty.v1.Date, NULL when there is none.
void birth_month(sqlite3_context* context, int, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
        sqlite3_result_null(context);
        return;
    }
    v1::Date date;
    if (!date.ParseFromArray(sqlite3_value_blob(argv[0]), sqlite3_value_bytes(argv[0])) || date.month() == 0) {
        sqlite3_result_null(context);
        return;
    }
    sqlite3_result_int(context, date.month());
}

std::int64_t ms_of(const google::protobuf::Timestamp& t) {
    return t.seconds() * 1000 + t.nanos() / 1'000'000;
}

using Value = std::variant<std::int64_t, double, std::string>;

// The audience as SQL over profiles p joined with customers c: a condition per line, and the
// values its placeholders take, in order.
struct Where {
    std::string sql;
    std::vector<Value> values;

    // `condition` holds as many placeholders as `more` has values.
    void add(std::string condition, std::vector<Value> more = {}) {
        sql += " AND " + condition;
        values.insert(values.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    static std::string placeholders(std::size_t n) {
        std::string s = "(";
        for (std::size_t i = 0; i < n; ++i)
            s += i == 0 ? "?" : ", ?";
        return s + ")";
    }
};

std::string bought_sql(const v1::PurchaseCondition& c) {
    if (!c.gtin().empty()) {
        return "EXISTS (SELECT 1 FROM profile_products q WHERE q.customer_id = p.customer_id AND q.gtin = ? AND "
               "q.last_bought >= ?)";
    }
    return "EXISTS (SELECT 1 FROM sales s JOIN sale_lines l ON l.sale = s.id WHERE s.customer_id = p.customer_id "
           "AND s.sold_at >= ? AND l.department = ?)";
}

std::vector<Value> bought_values(const v1::PurchaseCondition& c, std::int64_t now_ms) {
    const std::int64_t since = now_ms - static_cast<std::int64_t>(c.within_days()) * k_day_ms;
    if (!c.gtin().empty()) return {c.gtin(), since};
    return {since, c.department()};
}

// `from_ms`, `to_ms`: the campaign's dates.
Where audience_where(const v1::CampaignAudience& a, std::int64_t now_ms, std::int64_t affinity_generation,
                     std::int64_t from_ms, std::int64_t to_ms) {
    Where w;
    if (!a.segments().empty()) {
        std::vector<Value> v(a.segments().begin(), a.segments().end());
        std::string sql = "p.segment IN " + Where::placeholders(v.size());
        w.add(std::move(sql), std::move(v));
    }
    if (!a.tiers().empty()) {
        std::vector<Value> v;
        for (int t : a.tiers())
            v.emplace_back(std::int64_t{t});
        std::string sql = "c.tier IN " + Where::placeholders(v.size());
        w.add(std::move(sql), std::move(v));
    }
    const auto range = [&](const char* column, const v1::ScoreRange& r, bool set) {
        if (set) w.add(std::string("p.") + column + " BETWEEN ? AND ?", {std::int64_t{r.min()}, std::int64_t{r.max()}});
    };
    range("recency", a.recency(), a.has_recency());
    range("frequency", a.frequency(), a.has_frequency());
    range("monetary", a.monetary(), a.has_monetary());
    if (a.lapsed_days() > 0)
        w.add("p.last_visit < ?", {now_ms - static_cast<std::int64_t>(a.lapsed_days()) * k_day_ms});
    if (a.birthday_month()) {
        // Birthdays in a month the campaign runs in (the offer itself applies at the tills only in
        // the customer's birthday month).
        using namespace std::chrono;
        std::vector<Value> in;
        const auto first = year_month_day{floor<days>(sqlite::from_unix_ms(from_ms))};
        const auto last = year_month_day{floor<days>(sqlite::from_unix_ms(to_ms - 1))};
        for (auto m = first.year() / first.month(); m <= last.year() / last.month() && in.size() < 12; m += months{1}) {
            in.emplace_back(std::int64_t{static_cast<unsigned>(m.month())});
        }
        std::string sql = "birth_month(c.birthday) IN " + Where::placeholders(in.size());
        w.add(std::move(sql), std::move(in));
    }
    for (const auto& b : a.bought())
        w.add(bought_sql(b), bought_values(b, now_ms));
    for (const auto& b : a.not_bought())
        w.add("NOT " + bought_sql(b), bought_values(b, now_ms));
    if (!a.likely_to_buy().empty()) {
        std::string any;
        std::vector<Value> v;
        for (const auto& l : a.likely_to_buy()) {
            any += any.empty() ? "(" : " OR ";
            any +=
                "(EXISTS (SELECT 1 FROM profile_products x JOIN bought_together r ON r.generation = ? AND r.y = ? AND "
                "r.x = x.gtin WHERE x.customer_id = p.customer_id AND r.lift >= ?) AND NOT EXISTS (SELECT 1 FROM "
                "profile_products q WHERE q.customer_id = p.customer_id AND q.gtin = ? AND q.last_bought >= ?))";
            v.insert(v.end(), {affinity_generation, l.gtin(), l.min_lift(), l.gtin(),
                               now_ms - static_cast<std::int64_t>(l.not_within_days()) * k_day_ms});
        }
        w.add(any + ")", std::move(v));
    }
    if (!a.stores().empty()) {
        std::vector<Value> v{now_ms - 365 * k_day_ms};
        v.insert(v.end(), a.stores().begin(), a.stores().end());
        w.add(
            "EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = p.customer_id AND s.sold_at >= ? AND s.store_id IN " +
                Where::placeholders(static_cast<std::size_t>(a.stores_size())) + ")",
            std::move(v));
    }
    return w;
}

void bind_values(sqlite::Statement& s, int first, const std::vector<Value>& values) {
    int i = first;
    for (const Value& v : values) {
        std::visit(
            [&](const auto& x) {
                if constexpr (std::is_same_v<std::decay_t<decltype(x)>, double>) {
                    s.bind_real(i, x);
                } else {
                    s.bind(i, x);
                }
            },
            v);
        ++i;
    }
}

}  // namespace

std::string TargetingRun::describe() const {
    if (!skipped.empty()) return campaign_id + ": not targeted (" + skipped + ")";
    return campaign_id + ": " + std::to_string(targeted) + " customer(s) assigned the offer, " +
           std::to_string(control) + " held out as control";
}

std::string_view Campaigns::schema() {
    return k_schema;
}

Campaigns::Campaigns(sqlite::Database& db, std::function<std::int64_t()> version,
                     std::function<void(const std::function<void()>&)> write)
    : db_(db), version_(std::move(version)), write_(std::move(write)) {
    sqlite3_create_function_v2(db_.handle(), "birth_month", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                               &birth_month, nullptr, nullptr, nullptr);
}

std::optional<Campaigns::Stored> Campaigns::find(const std::string& campaign_id) {
    auto& read = db_.cached("SELECT body, state, last_run FROM campaigns WHERE campaign_id = ?");
    read.bind(1, campaign_id);
    std::optional<Stored> out;
    if (read.step()) {
        out.emplace();
        if (!out->campaign.ParseFromString(read.column_blob(0))) {
            read.reset();
            throw StorageError(StorageErrc::corrupt, "campaign " + campaign_id + " cannot be read");
        }
        out->state = static_cast<v1::CampaignState>(read.column_int64(1));
        if (!read.column_is_null(2)) out->last_run = read.column_int64(2);
    }
    read.reset();
    return out;
}

void Campaigns::put(const v1::Campaign& campaign, std::int64_t now_ms) {
    const auto held = find(campaign.campaign_id());
    if (held && held->state == v1::CAMPAIGN_STATE_RETIRED) {
        throw StorageError(StorageErrc::conflict,
                           "campaign " + campaign.campaign_id() + " was retired: give a new campaign another id");
    }
    if (held && held->campaign.offer_id() != campaign.offer_id()) {
        throw StorageError(StorageErrc::conflict, "campaign " + campaign.campaign_id() + " assigns offer " +
                                                      held->campaign.offer_id() +
                                                      ": its offer cannot change (retire it and add a new campaign)");
    }
    // Members chosen under one control share or limit and members under another would not compare.
    if (held && (held->campaign.control_basis_points() != campaign.control_basis_points() ||
                 held->campaign.per_customer() != campaign.per_customer())) {
        auto& any = db_.cached("SELECT 1 FROM campaign_members WHERE campaign_id = ? LIMIT 1");
        any.bind(1, campaign.campaign_id());
        const bool has_members = any.step();
        any.reset();
        if (has_members) {
            throw StorageError(
                StorageErrc::conflict,
                "campaign " + campaign.campaign_id() +
                    " has members: its control share and per_customer cannot change (retire it and add a "
                    "new campaign)");
        }
    }
    // One campaign per offer: another's members holding it would spoil this one's control group.
    auto& other =
        db_.cached("SELECT campaign_id FROM campaigns WHERE offer_id = ? AND campaign_id != ? AND state != ?");
    other.bind_all(campaign.offer_id(), campaign.campaign_id(), std::int64_t{v1::CAMPAIGN_STATE_RETIRED});
    const std::optional<std::string> taken = other.step() ? std::optional{other.column_text(0)} : std::nullopt;
    other.reset();
    if (taken) {
        throw StorageError(StorageErrc::conflict,
                           "offer " + campaign.offer_id() + " is campaign " + *taken +
                               "'s: a control group must not get the offer through another campaign");
    }
    db_.cached(
           "INSERT INTO campaigns (campaign_id, offer_id, body, state, added_at, changed_at) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT (campaign_id) DO UPDATE SET body = excluded.body, changed_at = excluded.changed_at")
        .bind_all(campaign.campaign_id(), campaign.offer_id())
        .bind_blob(3, campaign.SerializeAsString())
        .bind(4, std::int64_t{v1::CAMPAIGN_STATE_LIVE})
        .bind(5, now_ms)
        .bind(6, now_ms)
        .run();
    if (held && ms_of(held->campaign.ends()) != ms_of(campaign.ends())) {
        // The members' coupons now expire at the new end (withdrawn ones too: a resume sends them).
        db_.cached(
               "UPDATE assignments SET expires_at = ?1, changed_version = CASE WHEN withdrawn = 0 THEN ?2 ELSE "
               "changed_version END WHERE offer_id = ?3 AND customer_id IN (SELECT customer_id FROM "
               "campaign_members WHERE campaign_id = ?4 AND control = 0)")
            .bind_all(ms_of(campaign.ends()), version_(), campaign.offer_id(), campaign.campaign_id())
            .run();
    }
}

void Campaigns::withdraw_members(const v1::Campaign& c, bool withdraw) {
    // Members who withdrew consent are members no more, erased ones hold no assignment: what a
    // member holds is theirs to get back.
    db_.cached(
           "UPDATE assignments SET withdrawn = ?1, changed_version = ?2 WHERE offer_id = ?3 AND withdrawn = 1 - ?1 AND "
           "customer_id IN (SELECT customer_id FROM campaign_members WHERE campaign_id = ?4 AND control = 0)")
        .bind_all(std::int64_t{withdraw ? 1 : 0}, version_(), c.offer_id(), c.campaign_id())
        .run();
}

bool Campaigns::set_state(const std::string& campaign_id, v1::CampaignState state, std::int64_t now_ms) {
    const auto held = find(campaign_id);
    if (!held) return false;
    if (held->state == v1::CAMPAIGN_STATE_RETIRED)
        throw StorageError(StorageErrc::conflict, "campaign " + campaign_id + " is retired");
    if (held->state == state) return true;
    db_.cached("UPDATE campaigns SET state = ?, changed_at = ? WHERE campaign_id = ?")
        .bind_all(std::int64_t{state}, now_ms, campaign_id)
        .run();
    withdraw_members(held->campaign, state != v1::CAMPAIGN_STATE_LIVE);
    if (state == v1::CAMPAIGN_STATE_RETIRED && held->campaign.owns_offer()) {
        db_.cached("UPDATE offers SET retired_at = ?, changed_version = ? WHERE offer_id = ? AND retired_at IS NULL")
            .bind_all(now_ms, version_(), held->campaign.offer_id())
            .run();
    }
    return true;
}

CampaignRow Campaigns::row_of(const Stored& stored) {
    const v1::Campaign& c = stored.campaign;
    CampaignRow row;
    row.campaign = c;
    row.state = stored.state;
    if (stored.last_run) row.last_run = sqlite::from_unix_ms(*stored.last_run);
    auto& members = db_.cached(
        "SELECT coalesce(sum(control = 0), 0), coalesce(sum(control), 0) FROM campaign_members "
        "WHERE campaign_id = ?");
    members.bind(1, c.campaign_id());
    if (members.step()) {
        row.targeted = static_cast<std::uint64_t>(members.column_int64(0));
        row.control = static_cast<std::uint64_t>(members.column_int64(1));
    }
    members.reset();
    // Redemptions by targeted members within the campaign's dates: discounts, and bonus points at
    // what a point is worth when redeemed.
    auto& discounts = db_.cached(
        "SELECT count(*), coalesce(sum(d.amount), 0) FROM sale_discounts d JOIN sales s ON s.id = d.sale "
        "JOIN campaign_members m ON m.campaign_id = ?1 AND m.customer_id = s.customer_id AND m.control = 0 "
        "WHERE d.offer_id = ?2 AND s.sold_at >= ?3 AND s.sold_at < ?4");
    discounts.bind_all(c.campaign_id(), c.offer_id(), ms_of(c.starts()), ms_of(c.ends()));
    if (discounts.step()) {
        row.redemptions = static_cast<std::uint64_t>(discounts.column_int64(0));
        row.cost = discounts.column_int64(1);
    }
    discounts.reset();
    auto& points = db_.cached(
        "SELECT count(*), coalesce(sum(x.points), 0) FROM sale_points x JOIN sales s ON s.id = x.sale "
        "JOIN campaign_members m ON m.campaign_id = ?1 AND m.customer_id = s.customer_id AND m.control = 0 "
        "WHERE x.offer_id = ?2 AND s.sold_at >= ?3 AND s.sold_at < ?4");
    points.bind_all(c.campaign_id(), c.offer_id(), ms_of(c.starts()), ms_of(c.ends()));
    if (points.step() && points.column_int64(0) > 0) {
        row.redemptions += static_cast<std::uint64_t>(points.column_int64(0));
        const std::int64_t given = points.column_int64(1);
        points.reset();
        auto& rules = db_.cached("SELECT body FROM points_rules WHERE id = 1");
        v1::PointsRules r;
        if (rules.step()) (void)r.ParseFromString(rules.column_blob(0));
        rules.reset();
        row.cost += given * r.point_value_minor_units();
    }
    points.reset();
    row.budget_spent = c.budget().minor_units() > 0 && row.cost >= c.budget().minor_units();
    return row;
}

std::vector<CampaignRow> Campaigns::list() {
    std::vector<std::string> ids;
    auto& read = db_.cached("SELECT campaign_id FROM campaigns ORDER BY campaign_id");
    while (read.step())
        ids.push_back(read.column_text(0));
    read.reset();
    std::vector<CampaignRow> rows;
    for (const auto& id : ids)
        if (auto stored = find(id)) rows.push_back(row_of(*stored));
    return rows;
}

std::vector<TargetingRun> Campaigns::run(std::int64_t now_ms, const std::string& only,
                                         const std::function<bool()>& stop) {
    std::vector<TargetingRun> runs;
    std::vector<std::string> ids;
    auto& read = db_.cached(
        "SELECT campaign_id FROM campaigns WHERE (?1 = '' AND state = ?2) OR campaign_id = ?1 "
        "ORDER BY campaign_id");
    read.bind_all(only, std::int64_t{v1::CAMPAIGN_STATE_LIVE});
    while (read.step())
        ids.push_back(read.column_text(0));
    read.reset();
    if (!only.empty() && ids.empty()) throw StorageError(StorageErrc::not_found, "no campaign " + only);
    for (const auto& id : ids) {
        if (stop && stop()) break;
        if (auto stored = find(id)) runs.push_back(target(*stored, now_ms, stop));
    }
    return runs;
}

TargetingRun Campaigns::target(const Stored& stored, std::int64_t now_ms, const std::function<bool()>& stop) {
    const v1::Campaign& c = stored.campaign;
    TargetingRun run;
    run.campaign_id = c.campaign_id();
    if (stored.state == v1::CAMPAIGN_STATE_PAUSED) run.skipped = "paused";
    if (stored.state == v1::CAMPAIGN_STATE_RETIRED) run.skipped = "retired";
    if (run.skipped.empty() && now_ms >= ms_of(c.ends())) run.skipped = "ended";
    if (!run.skipped.empty()) return run;

    auto& offer_read = db_.cached("SELECT body FROM offers WHERE offer_id = ? AND retired_at IS NULL");
    offer_read.bind(1, c.offer_id());
    v1::Offer offer;
    const bool live = offer_read.step() && offer.ParseFromString(offer_read.column_blob(0));
    offer_read.reset();
    if (!live) {
        run.skipped = "its offer " + c.offer_id() + " is retired";
        return run;
    }
    if (offer.targeting().audience() != v1::AUDIENCE_ASSIGNED) {
        run.skipped = "its offer " + c.offer_id() + " is no longer for assigned customers only";
        return run;
    }
    const CampaignRow row = row_of(stored);
    if (row.budget_spent) {
        run.skipped = "budget spent";
        return run;
    }
    std::uint64_t targeted = row.targeted;
    if (c.max_customers() > 0 && targeted >= c.max_customers()) {
        run.skipped = "max_customers reached";
        return run;
    }

    const std::int64_t generation =
        db_.query_int64("SELECT value FROM meta WHERE key = 'affinity_generation'").value_or(0);
    const Where where = audience_where(c.audience(), now_ms, generation, ms_of(c.starts()), ms_of(c.ends()));
    auto select = db_.prepare(
        "SELECT p.customer_id FROM profiles p JOIN customers c ON c.customer_id = p.customer_id "
        "WHERE p.customer_id > ? AND c.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM campaign_members m WHERE "
        "m.campaign_id = ? AND m.customer_id = p.customer_id)" +
        where.sql + " ORDER BY p.customer_id LIMIT " + std::to_string(k_chunk));
    std::random_device entropy;
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy(), entropy(), entropy(), entropy(), entropy()};
    std::mt19937_64 random{seed};
    const std::int64_t expires = ms_of(c.ends());
    const std::int64_t uses = c.per_customer();
    std::string cursor;
    bool full = false, changed = false;
    while (!full && !(stop && stop())) {
        std::vector<std::string> chunk;
        select.bind(1, cursor).bind(2, c.campaign_id());
        bind_values(select, 3, where.values);
        while (select.step())
            chunk.push_back(select.column_text(0));
        select.reset();
        if (chunk.empty()) break;
        cursor = chunk.back();
        write_([&] {
            // Read again inside the write: the campaign may have been paused, retired or changed,
            // and a customer may have withdrawn consent or been erased, since the chunk was read
            // (another process, or serve's refresher, writes in between).
            const auto now_stored = find(c.campaign_id());
            if (!now_stored || now_stored->state != v1::CAMPAIGN_STATE_LIVE ||
                now_stored->campaign.SerializeAsString() != c.SerializeAsString()) {
                changed = true;
                return;
            }
            const std::int64_t version = version_();
            // Still profiled, not erased, not a member yet (a run beside this one may have taken it).
            auto& member = db_.cached(
                "INSERT OR IGNORE INTO campaign_members (campaign_id, customer_id, control, chosen_at) SELECT ?1, "
                "?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM profiles p JOIN customers c ON c.customer_id = p.customer_id "
                "WHERE p.customer_id = ?2 AND c.erased_at IS NULL)");
            auto& assign = db_.cached(
                "INSERT INTO assignments (offer_id, customer_id, code, uses_left, expires_at, assigned_at, withdrawn, "
                "changed_version) VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (offer_id, customer_id, code) DO UPDATE "
                "SET uses_left = excluded.uses_left, expires_at = excluded.expires_at, withdrawn = 0, "
                "changed_version = excluded.changed_version");
            for (const std::string& customer : chunk) {
                const bool control = rules::in_control(c.campaign_id(), customer, c.control_basis_points());
                if (!control && c.max_customers() > 0 && targeted >= c.max_customers()) {
                    full = true;
                    break;
                }
                member.reset();
                member.bind_all(c.campaign_id(), customer, std::int64_t{control ? 1 : 0}, now_ms).run();
                if (db_.changes() == 0) continue;
                if (control) {
                    ++run.control;
                    continue;
                }
                assign.reset();
                assign
                    .bind_all(c.offer_id(), customer,
                              offer.limits().requires_code() ? c.offer_id() + "-" + random_crockford(12, random)
                                                             : std::string{},
                              uses, expires, now_ms, version)
                    .run();
                ++run.targeted;
                ++targeted;
            }
            member.reset();
            assign.reset();
        });
        if (changed) {
            run.skipped = "changed while it ran (paused, retired or added again): the next run goes on";
            return run;
        }
    }
    if (!(stop && stop())) {  // a run stopped part-way has not covered everyone
        write_([&] {
            db_.cached("UPDATE campaigns SET last_run = ? WHERE campaign_id = ?")
                .bind_all(now_ms, c.campaign_id())
                .run();
        });
    }
    return run;
}

std::optional<CampaignUplift> Campaigns::uplift(const std::string& campaign_id, std::int64_t now_ms) {
    const auto stored = find(campaign_id);
    if (!stored) return std::nullopt;
    const v1::Campaign& c = stored->campaign;
    CampaignUplift u;
    u.row = row_of(*stored);
    u.window_from_ms = ms_of(c.starts());
    u.window_to_ms = std::min(ms_of(c.ends()), now_ms);
    // Net spend (sales less refunds) of each member from when they were chosen, within the window.
    auto& spend = db_.cached(
        "SELECT m.control, "
        "coalesce((SELECT sum(s.total) FROM sales s WHERE s.customer_id = m.customer_id AND "
        "s.sold_at >= max(m.chosen_at, ?1) AND s.sold_at < ?2), 0) - "
        "coalesce((SELECT sum(r.refund_total) FROM returns r WHERE r.customer_id = m.customer_id AND "
        "r.returned_at >= max(m.chosen_at, ?1) AND r.returned_at < ?2), 0) "
        "FROM campaign_members m WHERE m.campaign_id = ?3");
    spend.bind_all(u.window_from_ms, u.window_to_ms, campaign_id);
    rules::Moments targeted, control;
    while (spend.step())
        (spend.column_int64(0) != 0 ? control : targeted).add(static_cast<double>(spend.column_int64(1)));
    spend.reset();
    const rules::UpliftFigures figures = rules::uplift(targeted, control);
    u.targeted_mean = figures.targeted_mean;
    u.control_mean = figures.control_mean;
    u.uplift = figures.uplift;
    u.ci_low = figures.ci_low;
    u.ci_high = figures.ci_high;
    u.incremental_revenue = figures.incremental_revenue;
    auto& redeemers = db_.cached(
        "SELECT count(DISTINCT s.customer_id) FROM sales s JOIN campaign_members m ON m.campaign_id = ?1 AND "
        "m.customer_id = s.customer_id AND m.control = 0 WHERE s.sold_at >= ?3 AND s.sold_at < ?4 AND s.id IN "
        "(SELECT d.sale FROM sale_discounts d WHERE d.offer_id = ?2 UNION SELECT x.sale FROM sale_points x WHERE "
        "x.offer_id = ?2)");
    redeemers.bind_all(campaign_id, c.offer_id(), ms_of(c.starts()), ms_of(c.ends()));
    if (redeemers.step()) u.redeemers = static_cast<std::uint64_t>(redeemers.column_int64(0));
    redeemers.reset();
    return u;
}

void Campaigns::consent_withdrawn(const std::string& customer_id) {
    auto& any = db_.cached(
        "SELECT 1 FROM assignments a JOIN campaigns c ON c.offer_id = a.offer_id JOIN campaign_members m ON "
        "m.campaign_id = c.campaign_id AND m.customer_id = a.customer_id AND m.control = 0 WHERE a.customer_id = ? "
        "AND a.withdrawn = 0 LIMIT 1");
    any.bind(1, customer_id);
    const bool held = any.step();
    any.reset();
    if (held) {
        db_.cached(
               "UPDATE assignments SET withdrawn = 1, changed_version = ?1 WHERE customer_id = ?2 AND withdrawn = 0 "
               "AND "
               "offer_id IN (SELECT c.offer_id FROM campaigns c JOIN campaign_members m ON m.campaign_id = "
               "c.campaign_id "
               "WHERE m.customer_id = ?2 AND m.control = 0)")
            .bind_all(version_(), customer_id)
            .run();
    }
    // Membership is profiling too: it goes (given again, a later run may choose them anew).
    db_.cached("DELETE FROM campaign_members WHERE customer_id = ?").bind(1, customer_id).run();
}

void Campaigns::sale_points(std::int64_t sale_row, const v1::PointsSummary& points) {
    std::int64_t n = 0;
    for (const auto& line : points.lines()) {
        if (line.offer_id().empty() || line.points() <= 0) continue;
        db_.cached("INSERT INTO sale_points (sale, n, offer_id, points) VALUES (?, ?, ?, ?)")
            .bind_all(sale_row, ++n, line.offer_id(), line.points())
            .run();
    }
}

}  // namespace loyalty::hq
