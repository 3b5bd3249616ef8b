#include "domain/offers/pricing.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>

#include "domain/money.hpp"

namespace loyalty::domain::offers {
namespace {

// Item-level offers see at most this many units of a line; the rest counts towards spend only.
constexpr std::int64_t k_modelled_units = 1000;

// One sellable unit of the basket: a unit of a counted line, or a whole weighed line.
struct Unit {
    std::size_t line = 0;
    std::int64_t price = 0;
    std::int64_t discounted = 0;  // item-level discounts already on it
    bool exclusive = false;       // taken by a non-stacking item-level offer
    bool reserved = false;        // kept for the per-unit offers while the group offers run
};

struct Take {
    std::size_t unit;
    std::int64_t amount;
};

struct Application {
    const v1::Offer* offer = nullptr;
    std::int64_t saving = 0;
    std::vector<Take> takes;
    std::vector<std::size_t> qualifying;  // units that earned the deal without a discount of their own
};

// Offer id order (the index hands them over in it already: checked in one pass first).
void sort_by_id(std::vector<const v1::Offer*>& offers) {
    const auto by_id = [](const v1::Offer* a, const v1::Offer* b) { return a->offer_id() < b->offer_id(); };
    if (!std::is_sorted(offers.begin(), offers.end(), by_id)) std::sort(offers.begin(), offers.end(), by_id);
}

bool matches(const v1::ItemSelector& s, const v1::SaleLine& line) {
    if (s.whole_basket()) return true;
    return std::find(s.gtins().begin(), s.gtins().end(), line.gtin()) != s.gtins().end() ||
           std::find(s.departments().begin(), s.departments().end(), line.department()) != s.departments().end();
}

std::int64_t percent_of(std::int64_t amount, std::uint32_t basis_points) {
    return mul_div_round(amount, basis_points, 10000).value_or(0);
}

bool is_item_level(const v1::Offer& o) {
    switch (o.mechanic_case()) {
        case v1::Offer::kPercentOff: return !o.percent_off().items().whole_basket();
        case v1::Offer::kAmountOff: return !o.amount_off().items().whole_basket();
        case v1::Offer::kBuyXGetY:
        case v1::Offer::kMultiBuy:
        case v1::Offer::kFreeItem: return true;
        default: return false;
    }
}

bool is_basket_level(const v1::Offer& o) {
    switch (o.mechanic_case()) {
        case v1::Offer::kPercentOff: return o.percent_off().items().whole_basket();
        case v1::Offer::kAmountOff: return o.amount_off().items().whole_basket();
        case v1::Offer::kBasketThreshold:
            return o.basket_threshold().reward_case() != v1::BasketThreshold::kBonusPoints;
        default: return false;
    }
}

// Where each GTIN and department sits in the basket, worked out once per pricing.
struct LineMap {
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_gtin;
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_department;
    std::size_t line_count = 0;

    explicit LineMap(const std::vector<v1::SaleLine>& lines) : line_count(lines.size()) {
        for (std::size_t l = 0; l < lines.size(); ++l) {
            by_gtin[lines[l].gtin()].push_back(l);
            by_department[lines[l].department()].push_back(l);
        }
    }
    // The lines `s` matches, in order.
    std::vector<std::size_t> lines_of(const v1::ItemSelector& s) const {
        std::vector<std::size_t> hit;
        add(s, hit);
        return sorted_unique(std::move(hit));
    }
    static std::vector<std::size_t> sorted_unique(std::vector<std::size_t> v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    }
    // Adds the lines `s` matches to `hit` (unsorted, may repeat).
    void add(const v1::ItemSelector& s, std::vector<std::size_t>& hit) const {
        if (s.whole_basket()) {
            for (std::size_t l = 0; l < line_count; ++l)
                hit.push_back(l);
            return;
        }
        for (const auto& g : s.gtins()) {
            if (auto it = by_gtin.find(g); it != by_gtin.end())
                hit.insert(hit.end(), it->second.begin(), it->second.end());
        }
        for (const auto& d : s.departments()) {
            if (auto it = by_department.find(d); it != by_department.end())
                hit.insert(hit.end(), it->second.begin(), it->second.end());
        }
    }
};

// The units an item-level offer could touch, in line order; `line_units[l]` is the range of line
// l's units.
std::vector<std::size_t> reachable(const v1::Offer& o,
                                   const std::vector<std::pair<std::size_t, std::size_t>>& line_units,
                                   const LineMap& map) {
    std::vector<std::size_t> hit;
    switch (o.mechanic_case()) {
        case v1::Offer::kPercentOff: map.add(o.percent_off().items(), hit); break;
        case v1::Offer::kAmountOff: map.add(o.amount_off().items(), hit); break;
        case v1::Offer::kBuyXGetY:
            map.add(o.buy_x_get_y().buy(), hit);
            map.add(o.buy_x_get_y().get(), hit);
            break;
        case v1::Offer::kMultiBuy: map.add(o.multi_buy().items(), hit); break;
        case v1::Offer::kFreeItem: map.add(o.free_item().item(), hit); break;
        default: break;
    }
    std::vector<std::size_t> out;
    for (std::size_t l : LineMap::sorted_unique(std::move(hit))) {
        for (std::size_t u = line_units[l].first; u < line_units[l].second; ++u)
            out.push_back(u);
    }
    return out;
}

std::int64_t room(const Unit& u) {
    return u.price - u.discounted;
}

// The units each candidate offer could touch, worked out once per pricing; and the basket's
// subtotal (line totals before any discount), which a free item's minimum spend is read against.
struct Reach {
    std::unordered_map<const v1::Offer*, std::vector<std::size_t>> by_offer;
    std::int64_t subtotal = 0;
    const std::vector<std::size_t>& at(const v1::Offer* o) const { return by_offer.at(o); }
};

// Applies one item-level offer to the units still open to it, the way the offer defines:
// percent and amount off every matching unit; multi-buy in groups of the most expensive units,
// the cheapest of each group free; buy X get Y with the cheapest eligible units as the "get";
// free item: the most expensive matching units. `max_applications` caps groups / units.
Application apply(const v1::Offer& o, const std::vector<Unit>& units, const std::vector<v1::SaleLine>& lines,
                  const Reach& reach) {
    Application app;
    app.offer = &o;
    const bool stacks = o.stacking().stacks_on_item_discounts();
    auto open = [&](std::size_t i) {
        return !units[i].reserved && (stacks || !units[i].exclusive) && room(units[i]) > 0;
    };
    // Ties in price go to the lower line number, so the order lines were scanned in never matters.
    auto line_no = [&](std::size_t u) { return lines[units[u].line].line_no(); };
    auto by_price_desc = [&](std::vector<std::size_t>& v) {
        std::stable_sort(v.begin(), v.end(), [&](std::size_t a, std::size_t b) {
            if (units[a].price != units[b].price) return units[a].price > units[b].price;
            return line_no(a) < line_no(b);
        });
    };
    std::vector<std::size_t> candidates;
    for (std::size_t i : reach.at(&o)) {
        if (open(i)) candidates.push_back(i);
    }
    const std::uint32_t per_basket = o.limits().per_basket();
    auto take = [&](std::size_t i, std::int64_t amount) {
        amount = std::min(amount, room(units[i]));
        if (amount <= 0) return;
        app.takes.push_back({i, amount});
        app.saving += amount;
    };

    switch (o.mechanic_case()) {
        case v1::Offer::kPercentOff: {
            by_price_desc(candidates);
            std::int64_t cap = o.percent_off().max_discount().minor_units();
            std::uint32_t used = 0;
            for (std::size_t i : candidates) {
                if (per_basket && used >= per_basket) break;
                std::int64_t amount = percent_of(room(units[i]), o.percent_off().basis_points());
                if (cap > 0) amount = std::min(amount, cap - app.saving);
                take(i, amount);
                ++used;
            }
            break;
        }
        case v1::Offer::kAmountOff: {
            by_price_desc(candidates);
            if (o.amount_off().per_unit()) {
                std::uint32_t used = 0;
                for (std::size_t i : candidates) {
                    if (per_basket && used >= per_basket) break;
                    take(i, o.amount_off().amount().minor_units());
                    ++used;
                }
            } else {
                std::int64_t left = o.amount_off().amount().minor_units();
                for (std::size_t i : candidates) {
                    const std::int64_t before = app.saving;
                    take(i, left);
                    left -= app.saving - before;
                    if (left <= 0) break;
                }
            }
            break;
        }
        case v1::Offer::kMultiBuy: {
            const auto& m = o.multi_buy();
            by_price_desc(candidates);
            // The tighter of the offer's own cap and the per-basket limit (0 = none).
            const std::uint32_t limit = m.max_applications() == 0 ? per_basket
                                        : per_basket == 0         ? m.max_applications()
                                                                  : std::min(m.max_applications(), per_basket);
            std::uint32_t groups = 0;
            for (std::size_t g = 0; g + m.units() <= candidates.size(); g += m.units()) {
                if (limit && groups >= limit) break;
                const std::vector<std::size_t> group(candidates.begin() + static_cast<std::ptrdiff_t>(g),
                                                     candidates.begin() + static_cast<std::ptrdiff_t>(g + m.units()));
                if (m.price_case() == v1::MultiBuy::kPayForUnits) {
                    app.qualifying.insert(app.qualifying.end(), group.begin(), group.end());
                    // The cheapest (units - pay_for) of the group are free.
                    for (std::size_t k = m.pay_for_units(); k < m.units(); ++k)
                        take(group[k], room(units[group[k]]));
                } else {
                    std::int64_t total = 0;
                    for (std::size_t i : group)
                        total += room(units[i]);
                    std::int64_t off = total - m.bundle_price().minor_units();
                    if (off <= 0) break;  // the bundle price saves nothing: the units stay free for others
                    app.qualifying.insert(app.qualifying.end(), group.begin(), group.end());
                    // Spread over the group from the most expensive unit.
                    for (std::size_t i : group) {
                        const std::int64_t before = app.saving;
                        take(i, off);
                        off -= app.saving - before;
                        if (off <= 0) break;
                    }
                }
                ++groups;
            }
            break;
        }
        case v1::Offer::kBuyXGetY: {
            const auto& b = o.buy_x_get_y();
            std::vector<std::size_t> buys, gets;
            for (std::size_t i : candidates) {
                if (matches(b.buy(), lines[units[i].line])) buys.push_back(i);
            }
            for (std::size_t i : candidates) {
                if (matches(b.get(), lines[units[i].line])) gets.push_back(i);
            }
            by_price_desc(buys);
            std::stable_sort(gets.begin(), gets.end(), [&](std::size_t x, std::size_t y) {
                if (units[x].price != units[y].price) return units[x].price < units[y].price;
                return line_no(x) < line_no(y);
            });
            std::set<std::size_t> used_units;
            // The tighter of the offer's own cap and the per-basket limit (0 = none).
            const std::uint32_t limit = b.max_applications() == 0 ? per_basket
                                        : per_basket == 0         ? b.max_applications()
                                                                  : std::min(b.max_applications(), per_basket);
            std::uint32_t applied = 0;
            std::size_t bi = 0;
            while (!limit || applied < limit) {
                std::vector<std::size_t> buy_group;
                while (buy_group.size() < b.buy_units() && bi < buys.size()) {
                    if (!used_units.count(buys[bi])) buy_group.push_back(buys[bi]);
                    ++bi;
                }
                if (buy_group.size() < b.buy_units()) break;
                std::vector<std::size_t> get_group;
                for (std::size_t i : gets) {
                    if (get_group.size() == b.get_units()) break;
                    const bool in_buy = std::find(buy_group.begin(), buy_group.end(), i) != buy_group.end();
                    if (!used_units.count(i) && !in_buy) get_group.push_back(i);
                }
                if (get_group.size() < b.get_units()) break;
                for (std::size_t i : buy_group)
                    used_units.insert(i);
                app.qualifying.insert(app.qualifying.end(), buy_group.begin(), buy_group.end());
                for (std::size_t i : get_group) {
                    used_units.insert(i);
                    take(i, percent_of(room(units[i]), b.get_basis_points_off()));
                }
                ++applied;
            }
            break;
        }
        case v1::Offer::kFreeItem: {
            // The spend that earns the free item is the basket's subtotal without the free units'
            // prices: the same whatever other offers take, and whatever order they are solved in.
            const auto& f = o.free_item();
            std::int64_t spend = reach.subtotal;
            by_price_desc(candidates);
            const std::size_t max_units = per_basket ? std::min(f.max_units(), per_basket) : f.max_units();
            for (std::size_t k = 0; k < candidates.size() && k < max_units; ++k) {
                spend -= units[candidates[k]].price;
                if (spend < f.min_spend().minor_units()) break;
                take(candidates[k], room(units[candidates[k]]));
            }
            break;
        }
        default: break;
    }
    return app;
}

// Records the application: discounts on their units; a non-stacking offer also takes the units
// that qualified for it (the two paid units of a 3 for 2 belong to that deal).
void commit(const Application& app, std::vector<Unit>& units) {
    const bool stacks = app.offer->stacking().stacks_on_item_discounts();
    for (const Take& t : app.takes) {
        units[t.unit].discounted += t.amount;
        if (!stacks) units[t.unit].exclusive = true;
    }
    if (!stacks) {
        for (std::size_t u : app.qualifying)
            units[u].exclusive = true;
    }
}

struct Solution {
    std::int64_t saving = 0;
    std::vector<Application> applications;
    std::vector<std::string> order;  // offer ids, for the tie-break
};

// Largest saving; then the offers head office ranked higher (Stacking.priority, summed); then
// fewer offers; then the alphabetically first sequence of offer ids.
bool better(const Solution& a, const Solution& b) {
    if (a.saving != b.saving) return a.saving > b.saving;
    auto priority = [](const Solution& s) {
        std::int64_t sum = 0;
        for (const auto& app : s.applications)
            sum += app.offer->stacking().priority();
        return sum;
    };
    if (priority(a) != priority(b)) return priority(a) > priority(b);
    if (a.applications.size() != b.applications.size()) return a.applications.size() < b.applications.size();
    return a.order < b.order;
}

// Applies `offers` in this order, each taking what it can of what is left.
// A percent or amount off each unit, with no cap, no per-basket limit and no exclusivity group:
// its saving on one unit does not depend on any other unit, so units can be given to such offers
// one by one, each to the offer that saves most on it.
bool per_unit(const v1::Offer& o) {
    if (!o.stacking().exclusivity_group().empty() || o.limits().per_basket() != 0) return false;
    if (o.has_percent_off()) return o.percent_off().max_discount().minor_units() == 0;
    if (o.has_amount_off()) return o.amount_off().per_unit();
    return false;
}

// Gives each open unit to the per-unit offer that saves most on it (ties: the first offer id),
// then lets stacking per-unit offers add to what is left of each unit.
void assign_per_unit(const std::vector<const v1::Offer*>& offers, std::vector<Unit>& units, const Reach& reach,
                     Solution& s) {
    std::map<const v1::Offer*, Application> apps;
    auto saving_on = [](const v1::Offer& o, const Unit& u) {
        const std::int64_t left = u.price - u.discounted;
        if (left <= 0) return std::int64_t{0};
        return o.has_percent_off() ? std::min(left, percent_of(left, o.percent_off().basis_points()))
                                   : std::min(left, o.amount_off().amount().minor_units());
    };
    // (unit, offer) pairs by unit; for one unit, in the order of `offers` (offer id).
    std::vector<std::pair<std::size_t, const v1::Offer*>> pairs;
    for (const v1::Offer* o : offers) {
        for (std::size_t u : reach.at(o))
            pairs.emplace_back(u, o);
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (int stacking_pass = 0; stacking_pass < 2; ++stacking_pass) {
        for (std::size_t first = 0, last = 0; first < pairs.size(); first = last) {
            while (last < pairs.size() && pairs[last].first == pairs[first].first)
                ++last;
            const std::size_t u = pairs[first].first;
            const auto reaching = std::span(pairs).subspan(first, last - first);
            Unit& unit = units[u];
            if (stacking_pass == 0) {
                if (unit.exclusive) continue;
                const v1::Offer* best = nullptr;
                std::int64_t best_saving = 0;
                for (const auto& [unused, o] : reaching) {
                    if (o->stacking().stacks_on_item_discounts()) continue;
                    const std::int64_t saving = saving_on(*o, unit);
                    // Equal savings: the higher priority, then the first offer id (reaching is in id order).
                    const bool tie_won = best != nullptr && saving == best_saving &&
                                         o->stacking().priority() > best->stacking().priority();
                    if (saving > best_saving || tie_won) {
                        best = o;
                        best_saving = saving;
                    }
                }
                if (best == nullptr) continue;
                Application& app = apps[best];
                app.offer = best;
                app.takes.push_back({u, best_saving});
                app.saving += best_saving;
                unit.discounted += best_saving;
                unit.exclusive = true;
            } else {
                for (const auto& [unused, o] : reaching) {
                    if (!o->stacking().stacks_on_item_discounts()) continue;
                    const std::int64_t saving = saving_on(*o, unit);
                    if (saving <= 0) continue;
                    Application& app = apps[o];
                    app.offer = o;
                    app.takes.push_back({u, saving});
                    app.saving += saving;
                    unit.discounted += saving;
                }
            }
        }
    }
    std::vector<Application> found;
    for (auto& [offer, app] : apps)
        found.push_back(std::move(app));
    std::sort(found.begin(), found.end(),
              [](const Application& a, const Application& b) { return a.offer->offer_id() < b.offer->offer_id(); });
    for (auto& app : found) {
        s.saving += app.saving;
        s.order.push_back(app.offer->offer_id());
        s.applications.push_back(std::move(app));
    }
}

// Applies the group offers in this order, each taking what it can of what is left, then gives
// the remaining units to the per-unit offers.
Solution run_in_order(const std::vector<const v1::Offer*>& offers, const std::vector<const v1::Offer*>& unit_offers,
                      std::vector<Unit> units, const std::vector<v1::SaleLine>& lines, const Reach& reach) {
    Solution s;
    std::set<std::string> groups;
    for (const v1::Offer* o : offers) {
        const std::string& group = o->stacking().exclusivity_group();
        if (!group.empty() && groups.count(group)) continue;
        Application app = apply(*o, units, lines, reach);
        if (app.saving <= 0) continue;
        commit(app, units);
        if (!group.empty()) groups.insert(group);
        s.saving += app.saving;
        s.order.push_back(o->offer_id());
        s.applications.push_back(std::move(app));
    }
    for (Unit& u : units)
        u.reserved = false;  // what the group offers were kept from is open again
    assign_per_unit(unit_offers, units, reach, s);
    return s;
}

// An upper bound of what `o` would save on `units` (its exact saving for the other kinds),
// without the allocations of apply(): the greedy search starts from these bounds.
std::int64_t saving_bound(const v1::Offer& o, const std::vector<Unit>& units, const std::vector<v1::SaleLine>& lines,
                          const Reach& reach) {
    const bool stacks = o.stacking().stacks_on_item_discounts();
    std::int64_t bound = 0;
    std::int64_t open_room = 0;
    for (std::size_t i : reach.at(&o)) {
        const Unit& u = units[i];
        if (u.reserved || (!stacks && u.exclusive) || room(u) <= 0) continue;
        open_room += room(u);
        if (o.has_percent_off()) bound += percent_of(room(u), o.percent_off().basis_points());
        if (o.has_amount_off() && o.amount_off().per_unit())
            bound += std::min(room(u), o.amount_off().amount().minor_units());
    }
    if (o.has_percent_off()) {
        const std::int64_t cap = o.percent_off().max_discount().minor_units();
        return cap > 0 ? std::min(bound, cap) : bound;
    }
    if (o.has_amount_off())
        return o.amount_off().per_unit() ? bound : std::min(open_room, o.amount_off().amount().minor_units());
    return apply(o, units, lines, reach).saving;
}

Solution solve_component(std::vector<const v1::Offer*> all, const std::vector<Unit>& units,
                         const std::vector<v1::SaleLine>& lines, const Reach& reach) {
    sort_by_id(all);
    std::vector<const v1::Offer*> offers;       // offers whose saving depends on which units they get together
    std::vector<const v1::Offer*> unit_offers;  // per-unit offers: solved unit by unit, after the others
    for (const v1::Offer* o : all)
        (per_unit(*o) ? unit_offers : offers).push_back(o);
    const auto by_id = [](const v1::Offer* a, const v1::Offer* b) { return a->offer_id() < b->offer_id(); };
    if (offers.empty()) {
        // Per-unit offers only: each unit independently to the offer that saves most on it (exact).
        Solution s;
        std::vector<Unit> state = units;
        assign_per_unit(unit_offers, state, reach, s);
        return s;
    }
    std::vector<std::size_t> touched;  // the component's units (not needed when it is too big anyway)
    if (offers.size() <= 8) {
        for (const v1::Offer* o : all)
            touched.insert(touched.end(), reach.at(o).begin(), reach.at(o).end());
        touched = LineMap::sorted_unique(std::move(touched));
    }
    // Trying every order is kept to problems small enough to stay well under a millisecond.
    if (offers.size() <= 8 && touched.size() <= 64) {
        Solution best;
        bool first = true;
        auto consider = [&](Solution s) {
            if (first || better(s, best)) best = std::move(s);
            first = false;
        };
        if (!unit_offers.empty() && offers.size() <= 4 && touched.size() <= 8) {
            // Small mixed problems exactly: every split of the units between the group offers and
            // the per-unit offers (2^units), every order of the group offers on their side.
            for (std::uint32_t mask = 0; mask < (1U << touched.size()); ++mask) {
                std::vector<Unit> split = units;
                for (std::size_t k = 0; k < touched.size(); ++k)
                    split[touched[k]].reserved = (mask >> k & 1U) == 0;
                do {
                    consider(run_in_order(offers, unit_offers, split, lines, reach));
                } while (std::next_permutation(offers.begin(), offers.end(), by_id));
            }
            return best;
        }
        // Otherwise every order of the group offers, with the per-unit offers solved unit by unit
        // after them or before them; and, when all fit, every order of all the offers together.
        std::vector<Unit> after_units = units;
        Solution unit_first;
        assign_per_unit(unit_offers, after_units, reach, unit_first);
        do {
            consider(run_in_order(offers, unit_offers, units, lines, reach));
            if (unit_offers.empty()) continue;
            Solution s = run_in_order(offers, {}, after_units, lines, reach);
            s.saving += unit_first.saving;
            s.applications.insert(s.applications.begin(), unit_first.applications.begin(),
                                  unit_first.applications.end());
            s.order.insert(s.order.begin(), unit_first.order.begin(), unit_first.order.end());
            consider(std::move(s));
        } while (std::next_permutation(offers.begin(), offers.end(), by_id));
        if (all.size() <= 8 && !unit_offers.empty()) {
            do {
                consider(run_in_order(all, {}, units, lines, reach));
            } while (std::next_permutation(all.begin(), all.end(), by_id));
        }
        return best;
    }
    // Greedy: repeatedly the offer whose application saves most on what is left. Savings only
    // shrink as units are taken, so a saving worked out earlier is an upper bound: an offer is
    // re-evaluated only when it reaches the top ("lazy greedy"; same result as re-evaluating all).
    Solution s;
    std::vector<Unit> state = units;
    std::set<std::string> groups;
    struct Entry {
        std::int64_t bound = 0;  // saving, or an upper bound of it
        std::int32_t priority = 0;
        std::size_t index = 0;  // in `offers`, which is in offer id order
    };
    // Largest saving first; ties to the higher priority, then to the first offer id.
    auto order = [](const Entry& a, const Entry& b) {
        if (a.bound != b.bound) return a.bound < b.bound;
        if (a.priority != b.priority) return a.priority < b.priority;
        return a.index > b.index;
    };
    std::vector<Entry> heap;
    for (std::size_t k = 0; k < offers.size(); ++k) {
        const std::int64_t saving = saving_bound(*offers[k], state, lines, reach);
        if (saving > 0) heap.push_back({saving, offers[k]->stacking().priority(), k});
    }
    std::make_heap(heap.begin(), heap.end(), order);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), order);
        const Entry top = heap.back();
        const std::size_t k = top.index;
        heap.pop_back();
        const std::string& group = offers[k]->stacking().exclusivity_group();
        if (!group.empty() && groups.count(group)) continue;
        Application app = apply(*offers[k], state, lines, reach);
        if (app.saving <= 0) continue;
        const Entry now{app.saving, top.priority, k};
        if (app.saving < top.bound && !heap.empty() && order(now, heap.front())) {
            heap.push_back(now);  // no longer the best: put it back with its true saving
            std::push_heap(heap.begin(), heap.end(), order);
            continue;
        }
        commit(app, state);
        if (!group.empty()) groups.insert(group);
        s.saving += app.saving;
        s.order.push_back(offers[k]->offer_id());
        s.applications.push_back(std::move(app));
    }
    assign_per_unit(unit_offers, state, reach, s);
    return s;
}

v1::DiscountLine discount_line(const Application& app, const std::vector<Unit>& units,
                               const std::vector<v1::SaleLine>& lines, const std::string& currency) {
    v1::DiscountLine d;
    d.set_offer_id(app.offer->offer_id());
    d.set_receipt_text(app.offer->receipt_text());
    *d.mutable_amount() = make_money(app.saving, currency);
    std::map<std::size_t, std::pair<std::int64_t, std::int64_t>> per_line;  // line -> units, amount
    for (const Take& t : app.takes) {
        auto& [count, amount] = per_line[units[t.unit].line];
        count += lines[units[t.unit].line].quantity().has_units() ? 1 : 0;
        amount += t.amount;
    }
    for (const auto& [line, value] : per_line) {
        auto* target = d.add_targets();
        target->set_line_no(lines[line].line_no());
        target->set_units(value.first);
        *target->mutable_amount() = make_money(value.second, currency);
    }
    return d;
}

std::uint32_t tier_multiplier(v1::Tier tier, const v1::PointsRules& rules) {
    std::uint32_t m = 0;
    if (tier == v1::TIER_SILVER) m = rules.silver_multiplier_percent();
    if (tier == v1::TIER_GOLD) m = rules.gold_multiplier_percent();
    if (tier == v1::TIER_PLATINUM) m = rules.platinum_multiplier_percent();
    return m == 0 ? 100 : m;
}

}  // namespace

bool coupon_code_for(const v1::Offer& offer, const std::string& code) {
    const std::string& id = offer.offer_id();
    return code.size() > id.size() + 1 && code.starts_with(id) && code[id.size()] == '-';
}

bool eligible(const v1::Offer& offer, const CustomerRecord* customer, const PricingContext& context) {
    const auto& t = offer.targeting();
    const bool member = customer != nullptr && !customer->blocked;
    const bool known = member && !customer->anonymous();
    switch (t.audience()) {
        case v1::AUDIENCE_EVERYONE: break;
        case v1::AUDIENCE_MEMBERS:
            if (!member) return false;
            break;
        case v1::AUDIENCE_ASSIGNED:
            if (!known || std::find(customer->assigned_offers.begin(), customer->assigned_offers.end(),
                                    offer.offer_id()) == customer->assigned_offers.end()) {
                return false;
            }
            break;
        default: return false;
    }
    if (!t.segments().empty() &&
        (!known || std::find(t.segments().begin(), t.segments().end(), customer->segment) == t.segments().end())) {
        return false;
    }
    if (!t.tiers().empty() &&
        (!known || std::find(t.tiers().begin(), t.tiers().end(), customer->tier) == t.tiers().end())) {
        return false;
    }
    const date::local_days today = date::floor<date::days>(context.local_now);
    const date::year_month_day ymd{today};
    if (t.birthday_month() &&
        (!known || customer->birthday_month != static_cast<int>(static_cast<unsigned>(ymd.month())))) {
        return false;
    }
    if (!t.store_ids().empty() &&
        std::find(t.store_ids().begin(), t.store_ids().end(), context.store_id) == t.store_ids().end()) {
        return false;
    }
    const auto& v = offer.validity();
    auto at = [](const v1::LocalDateTime& x) {
        return date::local_days{date::year{x.year()} / x.month() / x.day()} + std::chrono::hours{x.hour()} +
               std::chrono::minutes{x.minute()} + std::chrono::seconds{x.second()};
    };
    if (v.has_starts() && context.local_now < at(v.starts())) return false;
    if (v.has_ends() && context.local_now >= at(v.ends())) return false;
    const auto minute_of_day =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::minutes>(context.local_now - today).count());
    const bool wraps = v.from_minute_of_day() > v.to_minute_of_day();
    // In a window that wraps midnight (22:00-02:00), the small hours belong to the day before.
    const date::local_days window_day = wraps && minute_of_day < v.to_minute_of_day() ? today - date::days{1} : today;
    if (!v.days().empty()) {
        const unsigned iso = date::weekday{window_day}.iso_encoding();  // Monday 1 .. Sunday 7
        if (std::find(v.days().begin(), v.days().end(), static_cast<int>(iso)) == v.days().end()) return false;
    }
    if (v.from_minute_of_day() != 0 || v.to_minute_of_day() != 0) {
        const std::uint32_t minute = minute_of_day;
        const std::uint32_t from = v.from_minute_of_day();
        const std::uint32_t to = v.to_minute_of_day();
        const bool inside =
            from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to);  // wraps midnight
        if (!inside) return false;
    }
    if (offer.limits().per_customer() > 0) {
        if (!known) return false;  // a limit per customer needs to know the customer
        const auto used = customer->redemptions.find(offer.offer_id());
        if (used != customer->redemptions.end() && used->second >= offer.limits().per_customer()) return false;
    }
    return true;
}

std::int64_t base_points(std::int64_t paid_minor_units, v1::Tier tier, const PricingContext& context) {
    if (paid_minor_units <= 0 || context.points.points_per_currency_unit() == 0) return 0;
    std::int64_t scale = 1;
    for (int i = 0; i < context.minor_unit_exponent; ++i)
        scale *= 10;
    const std::int64_t base = paid_minor_units / scale * context.points.points_per_currency_unit() +
                              paid_minor_units % scale * context.points.points_per_currency_unit() / scale;
    return base * tier_multiplier(tier, context.points) / 100;
}

PricedBasket price_basket(const BasketSnapshot& basket, const std::vector<const v1::Offer*>& candidates,
                          const PricingContext& context) {
    PricedBasket priced;
    const auto& lines = basket.lines;
    std::vector<Unit> units;
    units.reserve(lines.size() * 2);
    std::vector<std::pair<std::size_t, std::size_t>> line_units(lines.size());
    std::vector<std::int64_t> uncovered(lines.size(), 0);
    std::int64_t subtotal = 0;
    for (std::size_t l = 0; l < lines.size(); ++l) {
        const auto& line = lines[l];
        line_units[l].first = units.size();
        subtotal += line.line_total().minor_units();
        if (line.quantity().has_units()) {
            // Item-level offers see at most the first 1,000 units of a line (more is a pallet, not a
            // shopper's basket); the rest counts towards spend but takes no item discount.
            const std::int64_t modelled = std::min<std::int64_t>(line.quantity().units(), k_modelled_units);
            for (std::int64_t k = 0; k < modelled; ++k)
                units.push_back({l, line.unit_price().minor_units()});
            uncovered[l] = (line.quantity().units() - modelled) * line.unit_price().minor_units();
        } else {
            units.push_back({l, line.line_total().minor_units()});  // a weighed line is one unit
        }
        line_units[l].second = units.size();
    }

    // 1. Who may have what. A code presented unlocks one offer: the one with the longest id it
    // names ("SAVE-10-0001" is SAVE-10's, not SAVE's).
    auto unlocking_code = [&](const v1::Offer& o) -> std::string {
        for (const auto& code : basket.coupon_codes) {
            if (!coupon_code_for(o, code)) continue;
            const bool claimed_by_longer =
                std::any_of(candidates.begin(), candidates.end(), [&](const v1::Offer* other) {
                    return other->limits().requires_code() && other->offer_id().size() > o.offer_id().size() &&
                           coupon_code_for(*other, code);
                });
            if (!claimed_by_longer) return code;
        }
        return {};
    };
    std::vector<const v1::Offer*> live;
    for (const v1::Offer* o : candidates) {
        if (!eligible(*o, basket.customer, context)) continue;
        if (o->limits().requires_code() && unlocking_code(*o).empty()) continue;
        live.push_back(o);
    }
    sort_by_id(live);

    // 2. Item level: components of offers sharing units or an exclusivity group.
    std::vector<const v1::Offer*> all_item;
    for (const v1::Offer* o : live) {
        if (is_item_level(*o)) all_item.push_back(o);
    }
    Reach reach;
    reach.subtotal = subtotal;
    const LineMap map(lines);
    for (const v1::Offer* o : all_item)
        reach.by_offer.emplace(o, reachable(*o, line_units, map));
    const bool any_uncovered = std::any_of(uncovered.begin(), uncovered.end(), [](std::int64_t v) { return v > 0; });
    v1::ItemSelector whole_basket;
    whole_basket.set_whole_basket(true);
    auto spend_on = [&](const std::vector<Unit>& state, const v1::ItemSelector& s) {
        std::int64_t spend = 0;
        for (const Unit& u : state) {
            if (matches(s, lines[u.line])) spend += room(u);
        }
        if (any_uncovered) {
            for (std::size_t l = 0; l < lines.size(); ++l) {
                if (uncovered[l] > 0 && matches(s, lines[l])) spend += uncovered[l];
            }
        }
        return spend;
    };

    // Steps 2 and 3 as one pass, leaving out the item-level offers of `excluded` groups.
    struct MoneyPass {
        std::vector<v1::DiscountLine> discounts;
        std::vector<Unit> units;
        std::set<std::string> groups_used;
        std::set<std::string> blocked;  // groups where item-level offers kept out a basket-level one
        std::int64_t item_discounts = 0;
        std::int64_t left = 0;
        std::int64_t total = 0;
    };
    const std::vector<Unit> start_units = units;
    auto money = [&](const std::set<std::string>& excluded) {
        MoneyPass pass;
        pass.units = start_units;
        std::vector<const v1::Offer*> item;
        for (const v1::Offer* o : all_item) {
            if (!excluded.count(o->stacking().exclusivity_group())) item.push_back(o);
        }
        std::vector<std::size_t> parent(item.size());
        std::iota(parent.begin(), parent.end(), 0);
        auto find = [&](std::size_t x) {
            while (parent[x] != x)
                x = parent[x] = parent[parent[x]];
            return x;
        };
        constexpr std::size_t k_no_owner = static_cast<std::size_t>(-1);
        std::vector<std::size_t> unit_owner(start_units.size(), k_no_owner);
        std::map<std::string, std::size_t> group_owner;
        for (std::size_t k = 0; k < item.size(); ++k) {
            for (std::size_t u : reach.at(item[k])) {
                if (unit_owner[u] == k_no_owner)
                    unit_owner[u] = k;
                else
                    parent[find(k)] = find(unit_owner[u]);
            }
            const std::string& group = item[k]->stacking().exclusivity_group();
            if (!group.empty()) {
                auto [it, fresh] = group_owner.emplace(group, k);
                if (!fresh) parent[find(k)] = find(it->second);
            }
        }
        std::map<std::size_t, std::vector<const v1::Offer*>> components;
        for (std::size_t k = 0; k < item.size(); ++k)
            components[find(k)].push_back(item[k]);
        std::set<std::string> item_groups;
        for (auto& [root, offers] : components) {
            (void)root;
            Solution solution = solve_component(offers, pass.units, lines, reach);
            for (const Application& app : solution.applications) {
                commit(app, pass.units);
                pass.discounts.push_back(discount_line(app, pass.units, lines, basket.currency));
                pass.item_discounts += app.saving;
                const std::string& group = app.offer->stacking().exclusivity_group();
                if (!group.empty()) {
                    pass.groups_used.insert(group);
                    item_groups.insert(group);
                }
            }
        }

        // 3. Basket level, on what is left; the largest saving first.
        pass.left = subtotal - pass.item_discounts;
        std::vector<std::pair<std::int64_t, const v1::Offer*>> basket_offers;
        const std::int64_t basket_spend = spend_on(pass.units, whole_basket);
        for (const v1::Offer* o : live) {
            if (!is_basket_level(*o)) continue;
            std::int64_t saving = 0;
            if (o->has_percent_off()) {
                saving = percent_of(pass.left, o->percent_off().basis_points());
                if (o->percent_off().max_discount().minor_units() > 0) {
                    saving = std::min(saving, o->percent_off().max_discount().minor_units());
                }
            } else if (o->has_amount_off()) {
                saving = o->amount_off().amount().minor_units();
            } else if (o->has_basket_threshold()) {
                const auto& t = o->basket_threshold();
                const std::int64_t spend =
                    t.qualifying().whole_basket() ? basket_spend : spend_on(pass.units, t.qualifying());
                if (spend >= t.min_spend().minor_units()) {
                    saving =
                        t.has_amount_off() ? t.amount_off().minor_units() : percent_of(spend, t.basis_points_off());
                }
            }
            if (saving > 0) basket_offers.emplace_back(saving, o);
        }
        std::stable_sort(basket_offers.begin(), basket_offers.end(),
                         [](const auto& x, const auto& y) { return x.first > y.first; });
        for (const auto& [saving, o] : basket_offers) {
            const std::string& group = o->stacking().exclusivity_group();
            if (!group.empty() && pass.groups_used.count(group)) {
                if (item_groups.count(group)) pass.blocked.insert(group);
                continue;
            }
            const std::int64_t amount = std::min(saving, pass.left);
            if (amount <= 0) break;
            v1::DiscountLine d;
            d.set_offer_id(o->offer_id());
            d.set_receipt_text(o->receipt_text());
            *d.mutable_amount() = make_money(amount, basket.currency);
            pass.discounts.push_back(std::move(d));
            pass.left -= amount;
            if (!group.empty()) pass.groups_used.insert(group);
        }
        pass.total = subtotal - pass.left;
        return pass;
    };
    // An exclusivity group holds one offer: where item-level offers took a group a basket-level
    // offer also belongs to, the basket is priced again without them, and the better outcome for
    // the shopper is kept.
    MoneyPass chosen = money({});
    const std::set<std::string> contested = chosen.blocked;
    for (const std::string& group : contested) {
        MoneyPass alternative = money({group});
        if (alternative.total > chosen.total) chosen = std::move(alternative);
    }
    priced.discounts = std::move(chosen.discounts);
    units = std::move(chosen.units);
    std::set<std::string> groups_used = std::move(chosen.groups_used);
    std::int64_t left = chosen.left;
    const std::int64_t item_discounts = chosen.item_discounts;

    // A single-use code is recorded on the discount it unlocked (the sale spends it).
    std::vector<const v1::Offer*> coded;
    for (const v1::Offer* o : live) {
        if (o->limits().requires_code()) coded.push_back(o);
    }
    for (auto& d : priced.discounts) {
        for (const v1::Offer* o : coded) {
            if (o->offer_id() == d.offer_id()) d.set_coupon_code(unlocking_code(*o));
        }
    }

    // 4. Points redeemed as a discount.
    // Only the points that fit in what is left to pay are used (and debited).
    const std::int64_t point_value = context.points.point_value_minor_units();
    const std::int64_t usable = point_value > 0 ? std::min(basket.points_to_redeem, left / point_value) : 0;
    if (usable > 0 && usable >= context.points.min_redemption_points()) {
        const std::int64_t value = usable * point_value;
        priced.points_redeemed = usable;
        v1::DiscountLine d;
        d.set_offer_id("points");
        d.set_receipt_text("Points redeemed");
        *d.mutable_amount() = make_money(value, basket.currency);
        priced.discounts.push_back(std::move(d));
        left -= value;
    }

    // 5. Points earned: base on what is paid, then offer bonuses.
    const bool earns = basket.customer != nullptr && !basket.customer->blocked;
    if (earns) {
        const v1::Tier tier = basket.customer->tier;
        priced.points_earned = base_points(left, tier, context);
        if (priced.points_earned > 0) {
            v1::PointsLine base;
            base.set_receipt_text("Points earned");
            base.set_points(priced.points_earned);
            priced.points_lines.push_back(std::move(base));
        }
        // Share of the item value still paid after basket-level discounts and points: what the
        // line-level multipliers earn on.
        const std::int64_t item_value = subtotal - item_discounts;
        for (const v1::Offer* o : live) {
            const std::string& group = o->stacking().exclusivity_group();
            if (!group.empty() && groups_used.count(group)) continue;
            std::int64_t bonus = 0;
            if (o->has_bonus_points()) {
                std::int64_t matching = 0;
                for (std::size_t l : map.lines_of(o->bonus_points().items()))
                    matching += lines[l].quantity().has_units() ? lines[l].quantity().units() : 1;
                if (matching > 0)
                    bonus = matching * o->bonus_points().points_per_unit() + o->bonus_points().points_per_basket();
            } else if (o->has_points_multiplier()) {
                std::int64_t paid_on_lines = 0;
                for (const Unit& u : units) {
                    if (matches(o->points_multiplier().items(), lines[u.line])) paid_on_lines += room(u);
                }
                for (std::size_t l = 0; any_uncovered && l < lines.size(); ++l) {
                    if (matches(o->points_multiplier().items(), lines[l])) paid_on_lines += uncovered[l];
                }
                if (item_value > 0) paid_on_lines = mul_div_round(paid_on_lines, left, item_value).value_or(0);
                bonus = base_points(paid_on_lines, tier, context) *
                        (o->points_multiplier().multiplier_percent() - 100) / 100;
            } else if (o->has_basket_threshold() && o->basket_threshold().has_bonus_points()) {
                if (spend_on(units, o->basket_threshold().qualifying()) >=
                    o->basket_threshold().min_spend().minor_units()) {
                    bonus = o->basket_threshold().bonus_points();
                }
            }
            if (bonus <= 0) continue;
            if (!group.empty()) groups_used.insert(group);
            v1::PointsLine line;
            line.set_offer_id(o->offer_id());
            line.set_receipt_text(o->receipt_text());
            line.set_points(bonus);
            if (o->limits().requires_code()) line.set_coupon_code(unlocking_code(*o));
            priced.points_lines.push_back(std::move(line));
            priced.points_earned += bonus;
        }
    }

    // 6. Next-visit coupons.
    for (const v1::Offer* o : live) {
        if (!o->has_next_visit_coupon()) continue;
        const auto& n = o->next_visit_coupon();
        std::int64_t units_bought = 0;
        std::int64_t spend = 0;
        for (const Unit& u : units) {
            if (!matches(n.trigger(), lines[u.line])) continue;
            ++units_bought;
            spend += room(u);
        }
        for (std::size_t l = 0; any_uncovered && l < lines.size(); ++l) {
            if (uncovered[l] <= 0 || !matches(n.trigger(), lines[l])) continue;
            units_bought += lines[l].quantity().units() - k_modelled_units;
            spend += uncovered[l];
        }
        const bool triggered = (n.trigger_units() == 0 || units_bought >= n.trigger_units()) &&
                               (!n.has_trigger_spend() || spend >= n.trigger_spend().minor_units()) && units_bought > 0;
        const bool already = std::any_of(priced.coupons.begin(), priced.coupons.end(), [&](const v1::IssuedCoupon& c) {
            return c.offer_id() == n.coupon_offer_id();
        });
        if (!triggered || already) continue;  // one coupon per coupon offer per sale
        v1::IssuedCoupon coupon;
        coupon.set_offer_id(n.coupon_offer_id());
        coupon.set_code(n.coupon_offer_id() + "-" + context.sale_id);
        coupon.set_receipt_text(o->receipt_text());
        priced.coupons.push_back(std::move(coupon));
    }
    return priced;
}

}  // namespace loyalty::domain::offers
