#include "hq/synth/generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <tuple>

#include "domain/check_digits.hpp"

namespace loyalty::hq::synth {
namespace {

struct Range {
    const char* department;
    std::vector<std::tuple<const char*, std::int64_t, bool>> items;  // description, price, weighed
};

const std::vector<Range>& product_range() {
    static const std::vector<Range> range{
        {"produce",
         {{"Bananas loose", 199, true},
          {"Apples loose", 279, true},
          {"Tomatoes loose", 349, true},
          {"Carrots 1kg", 129, false},
          {"Lettuce", 99, false},
          {"Avocado", 119, false},
          {"Grapes 500g", 299, false},
          {"Potatoes 2kg", 249, false}}},
        {"dairy",
         {{"Milk 1l", 119, false},
          {"Yoghurt 500g", 89, false},
          {"Butter 250g", 229, false},
          {"Gouda 400g", 449, false},
          {"Eggs 10", 299, false},
          {"Cream 200ml", 99, false}}},
        {"bakery",
         {{"Sourdough bread", 349, false},
          {"Croissant", 89, false},
          {"Baguette", 129, false},
          {"Wholewheat bread", 279, false},
          {"Muffin", 149, false}}},
        {"meat",
         {{"Chicken breast 500g", 599, false},
          {"Minced beef 500g", 549, false},
          {"Sausages", 399, false},
          {"Ham slices", 249, false}}},
        {"drinks",
         {{"Water 6x1.5l", 299, false},
          {"Orange juice 1l", 199, false},
          {"Cola 1.5l", 179, false},
          {"Red wine", 699, false},
          {"Beer 6-pack", 549, false},
          {"Coffee beans 500g", 749, false}}},
        {"frozen",
         {{"Frozen pizza", 349, false},
          {"Ice cream 1l", 399, false},
          {"Frozen peas", 179, false},
          {"Fish fingers", 299, false}}},
        {"household",
         {{"Washing powder", 899, false},
          {"Dish soap", 199, false},
          {"Toilet paper 8", 449, false},
          {"Kitchen roll", 299, false}}},
        {"snacks",
         {{"Crisps", 149, false}, {"Chocolate bar", 129, false}, {"Biscuits", 179, false}, {"Nuts 200g", 299, false}}},
        {"baby", {{"Nappies", 1099, false}, {"Baby food jar", 119, false}, {"Baby wipes", 249, false}}},
        {"pets", {{"Cat food 12", 649, false}, {"Dog food 2kg", 899, false}, {"Cat litter", 549, false}}},
    };
    return range;
}

const char* const k_given[] = {"Anna",   "Ben",   "Carla", "David", "Eva",  "Finn", "Greta", "Hugo", "Ines", "Jonas",
                               "Katrin", "Lukas", "Mia",   "Noah",  "Olga", "Paul", "Rosa",  "Sven", "Tara", "Willem"};
const char* const k_family[] = {"de Vries", "Jansen", "Bakker", "Visser",   "Smit",   "Meijer",  "Mulder",
                                "Bos",      "Vos",    "Peters", "Hendriks", "Dekker", "Brouwer", "Schouten"};

// The number with its check digit appended (GS1 for product codes, Luhn for cards).
std::string with_gs1_check(const std::string& digits) {
    return digits + static_cast<char>('0' + domain::card::gs1_check_digit(digits));
}

std::string with_luhn(const std::string& digits) {
    return digits + static_cast<char>('0' + domain::card::luhn_check_digit(digits));
}

std::string numbered(const std::string& prefix, std::uint64_t n) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "%06llu", static_cast<unsigned long long>(n));
    return prefix + digits;
}

v1::Money money(std::int64_t minor, const std::string& currency) {
    v1::Money m;
    m.set_minor_units(minor);
    m.set_currency(currency);
    return m;
}

using Seconds = std::int64_t;  // since the Unix epoch

struct Pending {
    Seconds at;
    int store;
    int terminal;  // within the store
    v1::Event event;
};

class Builder {
public:
    explicit Builder(const Options& o) : options_(o), random_(o.seed) {}

    Chain build() {
        make_chain();
        make_customers();
        for (std::size_t c = 0; c < chain_.customers.size(); ++c)
            visits_of(c);
        sales_without_card();
        if (options_.fraud) misbehave_before_numbering();
        number_and_store();
        returns();
        if (options_.fraud) returns_of_others();
        number_and_store();
        return std::move(chain_);
    }

private:
    double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random_); }
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
    bool chance(double p) { return std::bernoulli_distribution(p)(random_); }

    void make_chain() {
        for (int s = 0; s < options_.stores; ++s) {
            char id[32];
            std::snprintf(id, sizeof id, "S%04d", (s + 1) % 10'000);
            const std::string store = id;
            chain_.stores.push_back(store);
            chain_.locations.push_back(StoreLocation{52.0 + 0.5 * s, 5.0});
            auto& tills = chain_.terminals.emplace_back();
            for (int t = 0; t < options_.terminals_per_store; ++t)
                tills.push_back(store + "-T" + (t + 1 < 10 ? "0" : "") + std::to_string(t + 1));
        }
        const auto& range = product_range();
        by_department_.resize(range.size());
        for (std::size_t d = 0; d < range.size(); ++d) {
            chain_.departments.push_back(range[d].department);
            for (std::size_t i = 0; i < range[d].items.size(); ++i) {
                const auto& [description, price, weighed] = range[d].items[i];
                char digits[48];
                std::snprintf(digits, sizeof digits, "400%02zu%02zu00000", d % 100, i % 100);
                chain_.products.push_back(
                    Product{with_gs1_check(digits), description, range[d].department, price, weighed});
                by_department_[d].push_back(chain_.products.size() - 1);
            }
        }
    }

    void make_customers() {
        const double gaps[] = {2, 3, 4, 5, 7, 7, 10, 14, 21};
        for (int i = 0; i < options_.customers; ++i) {
            Customer c;
            char payload[32];
            std::snprintf(payload, sizeof payload, "603600%09d", (i + 1) % 1'000'000'000);
            c.loyalty_card = with_luhn(payload);
            auto& contact = c.contact;
            contact.set_given_name(k_given[pick(std::size(k_given))]);
            contact.set_family_name(k_family[pick(std::size(k_family))]);
            contact.set_email(numbered("member", static_cast<std::uint64_t>(i + 1)) + "@example.com");
            contact.mutable_birthday()->set_year(1940 + pick(66));
            contact.mutable_birthday()->set_month(1 + pick(12));
            contact.mutable_birthday()->set_day(1 + pick(28));
            c.profiling_consent = chance(options_.profiling_consent_share);
            Habits& h = c.habits;
            h.department_weights.assign(chain_.departments.size(), 1.0);
            const int favourites = 2 + pick(2);
            for (int f = 0; f < favourites; ++f)
                h.department_weights[static_cast<std::size_t>(pick(static_cast<int>(chain_.departments.size())))] +=
                    uniform(6, 12);
            const int staples = 2 + pick(3);
            std::discrete_distribution<std::size_t> department(h.department_weights.begin(),
                                                               h.department_weights.end());
            for (int s = 0; s < staples; ++s) {
                const auto& in = by_department_[department(random_)];
                h.staples.push_back(in[static_cast<std::size_t>(pick(static_cast<int>(in.size())))]);
            }
            h.mean_gap_days = gaps[pick(std::size(gaps))];
            h.mean_lines = uniform(3, 20);
            h.home_store = pick(options_.stores);
            chain_.customers.push_back(std::move(c));
        }
    }

    Seconds start() const {
        return std::chrono::duration_cast<std::chrono::seconds>(options_.first_day.time_since_epoch()).count();
    }
    Seconds end() const { return start() + static_cast<Seconds>(options_.days) * 86400; }
    // A time on the given day (seconds since the start) between 08:00 and 21:00.
    Seconds during_opening(double day) {
        const Seconds midnight = start() + static_cast<Seconds>(std::floor(day)) * 86400;
        return midnight + 8 * 3600 + static_cast<Seconds>(uniform(0, 13 * 3600));
    }

    v1::PurchaseEvent basket(const Habits* habits, double mean_lines) {
        v1::PurchaseEvent p;
        const int lines = std::max(
            1, static_cast<int>(std::lround(std::normal_distribution<double>(mean_lines, mean_lines * 0.3)(random_))));
        std::vector<double> uniform_weights(chain_.departments.size(), 1.0);
        const auto& weights = habits != nullptr ? habits->department_weights : uniform_weights;
        std::discrete_distribution<std::size_t> department(weights.begin(), weights.end());
        std::vector<std::size_t> taken;
        std::int64_t subtotal = 0;
        for (int l = 0; l < lines; ++l) {
            std::size_t product = 0;
            bool fresh = false;
            for (int attempt = 0; attempt < 4 && !fresh; ++attempt) {
                if (habits != nullptr && chance(0.35)) {
                    product = habits->staples[static_cast<std::size_t>(pick(static_cast<int>(habits->staples.size())))];
                } else {
                    const auto& in = by_department_[department(random_)];
                    product = in[static_cast<std::size_t>(pick(static_cast<int>(in.size())))];
                }
                fresh = std::find(taken.begin(), taken.end(), product) == taken.end();
            }
            if (!fresh) continue;
            taken.push_back(product);
            const Product& item = chain_.products[product];
            v1::SaleLine& line = *p.add_lines();
            line.set_line_no(static_cast<std::uint32_t>(p.lines_size()));
            line.set_gtin(item.gtin);
            line.set_description(item.description);
            line.set_department(item.department);
            *line.mutable_unit_price() = money(item.price, options_.currency);
            std::int64_t total = 0;
            if (item.weighed) {
                const std::int64_t grams = 200 + 50 * pick(37);
                line.mutable_quantity()->set_weight_grams(grams);
                total = (grams * item.price + 500) / 1000;
            } else {
                const int units = chance(0.7) ? 1 : (chance(0.67) ? 2 : 3);
                line.mutable_quantity()->set_units(units);
                total = units * item.price;
            }
            *line.mutable_line_total() = money(total, options_.currency);
            subtotal += total;
        }
        *p.mutable_subtotal() = money(subtotal, options_.currency);
        *p.mutable_discount_total() = money(0, options_.currency);
        *p.mutable_total() = money(subtotal, options_.currency);
        v1::Tender& tender = *p.add_tenders();
        tender.set_kind(chance(0.6) ? v1::TENDER_KIND_CARD : v1::TENDER_KIND_CASH);
        *tender.mutable_amount() = money(subtotal, options_.currency);
        return p;
    }

    void add(Seconds at, int store, int till, v1::Event event) {
        event.mutable_header()->set_store_id(chain_.stores[static_cast<std::size_t>(store)]);
        event.mutable_header()->set_terminal_id(
            chain_.terminals[static_cast<std::size_t>(store)][static_cast<std::size_t>(till)]);
        event.mutable_header()->mutable_terminal_time()->set_seconds(at);
        event.mutable_header()->set_cashier_id("C-" + std::to_string(1 + till));
        pending_.push_back(Pending{at, store, till, std::move(event)});
    }

    void visits_of(std::size_t index) {
        Customer& c = chain_.customers[index];
        const Habits& h = c.habits;
        double day = uniform(0, std::min<double>(h.mean_gap_days, options_.days));
        bool enrolled = false;
        Seconds last = 0;
        while (day < options_.days) {
            const int store = chance(0.85) ? h.home_store : pick(options_.stores);
            const int till = pick(options_.terminals_per_store);
            Seconds at = during_opening(day);
            if (at <= last + 3600) {  // a second visit the same day comes after the first
                day = std::floor(day) + 1;
                if (day >= options_.days) break;
                at = during_opening(day);
            }
            last = at;
            const std::string& terminal =
                chain_.terminals[static_cast<std::size_t>(store)][static_cast<std::size_t>(till)];
            if (!enrolled) {
                c.customer_id = terminal + "-SYNTH-C" + numbered("", ++customer_numbers_[terminal]);
                v1::Event e;
                auto& en = *e.mutable_enrollment();
                en.set_customer_id(c.customer_id);
                en.set_loyalty_card(c.loyalty_card);
                *en.mutable_contact() = c.contact;
                for (auto [purpose, granted] : {std::pair{v1::CONSENT_PURPOSE_PROGRAM_TERMS, true},
                                                std::pair{v1::CONSENT_PURPOSE_PROFILING, c.profiling_consent}}) {
                    v1::Consent& consent = *en.add_consents();
                    consent.set_purpose(purpose);
                    consent.set_granted(granted);
                    consent.set_source(v1::CONSENT_SOURCE_TILL);
                    consent.mutable_recorded_at()->set_seconds(at - 60);
                }
                add(at - 60, store, till, std::move(e));
                enrolled = true;
            }
            v1::Event e;
            *e.mutable_purchase() = basket(&h, h.mean_lines);
            auto& p = *e.mutable_purchase();
            p.set_loyalty_card(c.loyalty_card);
            p.set_customer_id(c.customer_id);
            p.mutable_points()->set_earned(p.total().minor_units() / 100);
            add(at, store, till, std::move(e));
            day += std::max(0.6, std::exponential_distribution<double>(1.0 / h.mean_gap_days)(random_));
        }
    }

    void sales_without_card() {
        std::poisson_distribution<int> per_day(options_.sales_without_card_per_store_day);
        for (int day = 0; day < options_.days; ++day) {
            for (int store = 0; store < options_.stores; ++store) {
                const int n = per_day(random_);
                for (int i = 0; i < n; ++i) {
                    v1::Event e;
                    *e.mutable_purchase() = basket(nullptr, 6);
                    add(during_opening(day), store, pick(options_.terminals_per_store), std::move(e));
                }
            }
        }
    }

    v1::Event card_sale(const Customer& c, const Habits& h) {
        v1::Event e;
        *e.mutable_purchase() = basket(&h, h.mean_lines);
        e.mutable_purchase()->set_loyalty_card(c.loyalty_card);
        e.mutable_purchase()->set_customer_id(c.customer_id);
        e.mutable_purchase()->mutable_points()->set_earned(e.purchase().total().minor_units() / 100);
        return e;
    }

    // The first two customers misbehave halfway through (see Options::fraud); the third in returns_of_others().
    void misbehave_before_numbering() {
        if (chain_.customers.size() < 3) return;
        const double half = options_.days / 2.0;
        const Customer& busy = chain_.customers[0];
        const Seconds morning = during_opening(std::floor(half));
        for (int i = 0; i < 8; ++i)
            add(morning + 600 * i, busy.habits.home_store, 0, card_sale(busy, busy.habits));
        const Customer& traveller = chain_.customers[1];
        const Seconds noon = during_opening(std::floor(half) + 1);
        add(noon, 0, 0, card_sale(traveller, traveller.habits));
        add(noon + 900, options_.stores - 1, 0, card_sale(traveller, traveller.habits));
    }

    // The third customer returns whole sales made without a card, with their own card, until they
    // have been refunded more than they ever bought.
    void returns_of_others() {
        if (chain_.customers.size() < 3) return;
        const Customer& returner = chain_.customers[2];
        std::int64_t bought = 0, refunded = 0;
        for (const Pending& p : pending_)
            if (p.event.has_purchase() && p.event.purchase().customer_id() == returner.customer_id)
                bought += p.event.purchase().total().minor_units();
        const std::size_t sales = pending_.size();
        for (std::size_t i = 0; i < sales && refunded <= bought; ++i) {
            const v1::Event& sale = pending_[i].event;
            if (!sale.has_purchase() || !sale.purchase().customer_id().empty()) continue;
            if (pending_[i].at < start() + static_cast<Seconds>(options_.days / 2) * 86400) continue;
            v1::Event e;
            auto& r = *e.mutable_sale_return();
            r.set_original_sale_id(sale.purchase().sale_id());
            r.set_original_terminal_id(sale.header().terminal_id());
            r.set_loyalty_card(returner.loyalty_card);
            r.set_customer_id(returner.customer_id);
            for (const auto& line : sale.purchase().lines()) {
                auto& back = *r.add_lines();
                back.set_original_line_no(line.line_no());
                *back.mutable_quantity() = line.quantity();
                *back.mutable_refund() = line.line_total();
            }
            *r.mutable_refund_total() = sale.purchase().total();
            refunded += sale.purchase().total().minor_units();
            add(pending_[i].at + 3600, pending_[i].store, pending_[i].terminal, std::move(e));
        }
    }

    // Sorts each till's events by time and numbers them; sales and returns get their ids once.
    void number_and_store() {
        std::stable_sort(pending_.begin(), pending_.end(),
                         [](const Pending& a, const Pending& b) { return a.at < b.at; });
        chain_.events.clear();
        for (auto& p : pending_) {
            const std::string terminal = p.event.header().terminal_id();
            auto& events = chain_.events[terminal];
            if (p.event.has_purchase() && p.event.purchase().sale_id().empty()) {
                p.event.mutable_purchase()->set_sale_id(terminal + "-SYNTH-" + numbered("", ++sale_numbers_[terminal]));
            }
            if (p.event.has_sale_return() && p.event.sale_return().return_id().empty()) {
                p.event.mutable_sale_return()->set_return_id(terminal + "-SYNTH-R" +
                                                             numbered("", ++return_numbers_[terminal]));
            }
            p.event.mutable_header()->set_sequence(events.size() + 1);
            events.push_back(p.event);
        }
    }

    // A few card sales come back a few days later: their first line, whole.
    void returns() {
        const std::size_t sales = pending_.size();
        for (std::size_t i = 0; i < sales; ++i) {
            const v1::Event& sale = pending_[i].event;
            if (!sale.has_purchase() || sale.purchase().customer_id().empty() || !chance(options_.return_share))
                continue;
            const Seconds at = pending_[i].at + static_cast<Seconds>(uniform(1, 5) * 86400);
            if (at >= end()) continue;
            const auto& p = sale.purchase();
            const auto& line = p.lines(0);
            v1::Event e;
            auto& r = *e.mutable_sale_return();
            r.set_original_sale_id(p.sale_id());
            r.set_original_terminal_id(sale.header().terminal_id());
            r.set_loyalty_card(p.loyalty_card());
            r.set_customer_id(p.customer_id());
            auto& back = *r.add_lines();
            back.set_original_line_no(line.line_no());
            *back.mutable_quantity() = line.quantity();
            *back.mutable_refund() = line.line_total();
            r.set_points_reversed(std::min(p.points().earned(), line.line_total().minor_units() / 100));
            *r.mutable_refund_total() = line.line_total();
            v1::Tender& tender = *r.add_refund_tenders();
            tender.set_kind(v1::TENDER_KIND_CASH);
            *tender.mutable_amount() = line.line_total();
            add(at, pending_[i].store, pick(options_.terminals_per_store), std::move(e));
        }
    }

    const Options& options_;
    std::mt19937_64 random_;
    Chain chain_;
    std::vector<std::vector<std::size_t>> by_department_;
    std::vector<Pending> pending_;
    std::map<std::string, std::uint64_t> customer_numbers_, sale_numbers_, return_numbers_;
};

}  // namespace

std::size_t Chain::event_count() const {
    std::size_t n = 0;
    for (const auto& [terminal, list] : events)
        n += list.size();
    return n;
}

std::vector<const v1::Event*> Chain::in_time_order() const {
    std::vector<const v1::Event*> all;
    all.reserve(event_count());
    for (const auto& [terminal, list] : events)
        for (const auto& e : list)
            all.push_back(&e);
    auto key = [](const v1::Event* e) {
        return std::make_tuple(e->header().terminal_time().seconds(), std::cref(e->header().terminal_id()),
                               e->header().sequence());
    };
    std::stable_sort(all.begin(), all.end(), [&](const v1::Event* a, const v1::Event* b) { return key(a) < key(b); });
    return all;
}

Chain generate(const Options& options) {
    return Builder(options).build();
}

void journal(Storage& storage, const Chain& chain, std::size_t batch_events) {
    {
        const auto write = storage.begin_journal();
        for (std::size_t s = 0; s < chain.stores.size(); ++s) {
            for (const auto& terminal : chain.terminals[s]) {
                const auto it = chain.events.find(terminal);
                const std::size_t held = it == chain.events.end() ? 0 : it->second.size();
                write->record_hello(TerminalContact{.store_id = chain.stores[s],
                                                    .terminal_id = terminal,
                                                    .database_id = "synth",
                                                    .id_tag = "SYNTH",
                                                    .software_version = "synth",
                                                    .acked_through = 0,
                                                    .next_sequence = held + 1,
                                                    .catalog_version = 0,
                                                    .at = Clock::now()});
            }
        }
        write->commit();
    }
    const auto all = chain.in_time_order();
    for (std::size_t from = 0; from < all.size(); from += batch_events) {
        std::map<std::string, v1::EventBatch> batches;
        for (std::size_t i = from; i < std::min(all.size(), from + batch_events); ++i)
            *batches[all[i]->header().terminal_id()].add_events() = *all[i];
        const auto write = storage.begin_journal();
        for (const auto& [terminal, batch] : batches)
            write->store_batch(terminal, batch, Clock::now());
        write->commit();
    }
}

void feed(Storage& storage, const Chain& chain, std::size_t batch_events) {
    journal(storage, chain, batch_events);
    while (storage.apply_stored(5000) > 0) {
    }
}

}  // namespace loyalty::hq::synth
