// synth: a seeded synthetic chain and the events its tills would send (issue [5/5], item 7).
//
// Stores with tills, a product range in departments, and customers with habits: favourite
// departments and a few staple products, a rhythm of visits, a basket size, a home store, a
// birthday, profiling consent or not. From these, day by day, the tills' events: each customer's
// enrollment at their first visit, their purchases (cards presented), sales without a card, now
// and then a return. The same options give the same events, so a test can feed them through head
// office's real ingest path (journal, then apply: feed()) and compute the figures it expects
// independently from the very same events.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hq/storage/storage.hpp"
#include "loyalty/v1/events.pb.h"

namespace loyalty::hq::synth {

struct Options {
    std::uint64_t seed = 1;
    int stores = 4;
    int terminals_per_store = 2;
    int customers = 200;
    int days = 56;
    std::chrono::sys_days first_day = std::chrono::sys_days{std::chrono::year{2026} / 10 / 1};
    double sales_without_card_per_store_day = 10;
    double profiling_consent_share = 0.85;
    double return_share = 0.02;  // share of card sales partly returned a few days later
    std::string currency = "EUR";
    // Three customers misbehave halfway through (for fraud signals): the first customer's card is
    // used for 8 sales in one day, the second buys at the first and the last store 15 minutes
    // apart, the third returns whole sales made without a card until refunded more than they bought.
    bool fraud = false;
};

struct Product {
    std::string gtin;
    std::string description;
    std::string department;
    std::int64_t price = 0;  // minor units, per unit (or per kilogram when weighed)
    bool weighed = false;
};

struct Habits {
    std::vector<double> department_weights;  // by index into Chain::departments
    std::vector<std::size_t> staples;        // products bought on most visits
    double mean_gap_days = 7;                // between visits
    double mean_lines = 8;                   // lines per basket
    int home_store = 0;
};

struct Customer {
    std::string customer_id;
    std::string loyalty_card;
    v1::ContactDetails contact;
    bool profiling_consent = true;
    Habits habits;
};

struct Chain {
    std::vector<std::string> stores;                  // store ids
    std::vector<StoreLocation> locations;             // per store: ~55 km apart in a line
    std::vector<std::vector<std::string>> terminals;  // per store
    std::vector<std::string> departments;
    std::vector<Product> products;
    std::vector<Customer> customers;
    // Each terminal's events, numbered from 1 in time order.
    std::map<std::string, std::vector<v1::Event>> events;

    std::size_t event_count() const;
    // Every event of the chain in time order (each terminal's in sequence order).
    std::vector<const v1::Event*> in_time_order() const;
};

Chain generate(const Options& options);

// Feeds the chain's events to head office as its ingest does: each till's hello, then batches of
// up to `batch_events` journalled in time order across the tills, then everything applied.
void feed(Storage& storage, const Chain& chain, std::size_t batch_events = 500);
// The first half of feed(): the hellos and the batches journalled (what the ingest acks), nothing applied.
void journal(Storage& storage, const Chain& chain, std::size_t batch_events = 500);

}  // namespace loyalty::hq::synth
