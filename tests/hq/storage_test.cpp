// Head office's SQLite storage: batches stored once, sales, points ledger, customers, conflicts
// (reused coupon, balance below zero, sequence gap, replaced terminal database), catalog deltas,
// and a delta applied to a terminal's LocalStore; deltas read once per change and shared.
#include "hq/storage/storage.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <google/protobuf/util/time_util.h>

#include "common/sqlite/database.hpp"
#include "domain/contact.hpp"
#include "hq/ingest/catalog_reader.hpp"
#include "terminal/store/local_store.hpp"
#include "tests/hq/journal_events.hpp"
#include "tests/store/sample_sale.hpp"
#include "tests/support/small_disk.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using loyalty::test::batch_of;
using loyalty::test::contact;
using loyalty::test::eur;
using loyalty::test::purchase;
using loyalty::test::TempDir;

namespace {

std::uint64_t hello(hq::Storage& s, const hq::TerminalContact& c) {
    std::uint64_t held = 0;
    {
        const auto write = s.begin_journal();
        held = write->record_hello(c).stored_through;
        write->commit();
    }
    return held;
}

// Journals the batch and applies everything journalled, as the ingest's writer does when idle.
hq::BatchResult store(hq::Storage& s, const v1::EventBatch& batch, const std::string& terminal = "S0042-T03") {
    hq::BatchResult result;
    {
        const auto write = s.begin_journal();
        result = write->store_batch(terminal, batch, hq::Clock::now());
        write->commit();
    }
    while (s.apply_stored(100) > 0) {
    }
    REQUIRE(s.unapplied() == 0);
    return result;
}

std::int64_t count(const std::filesystem::path& db, const std::string& sql) {
    sqlite::Database check(db);
    return check.query_int64(sql).value_or(-1);
}

v1::Event with_points(v1::Event e, const std::string& customer, std::int64_t earned, std::int64_t redeemed) {
    e.mutable_purchase()->set_customer_id(customer);
    e.mutable_purchase()->set_loyalty_card("6036000000000013");
    e.mutable_purchase()->mutable_points()->set_earned(earned);
    e.mutable_purchase()->mutable_points()->set_redeemed(redeemed);
    return e;
}

v1::Event enrollment(std::uint64_t sequence, const std::string& customer, const std::string& card) {
    v1::Event e;
    e.mutable_header()->set_terminal_id("S0042-T03");
    e.mutable_header()->set_store_id("S0042");
    e.mutable_header()->set_sequence(sequence);
    e.mutable_enrollment()->set_customer_id(customer);
    e.mutable_enrollment()->set_loyalty_card(card);
    e.mutable_enrollment()->mutable_contact()->set_given_name("Jane");
    auto* consent = e.mutable_enrollment()->add_consents();
    consent->set_purpose(v1::CONSENT_PURPOSE_PROFILING);
    consent->set_granted(true);
    return e;
}

std::vector<std::string> conflict_kinds(hq::Storage& s) {
    std::vector<std::string> kinds;
    for (const auto& c : s.conflicts())
        kinds.push_back(c.kind);
    return kinds;
}

v1::Offer percent_offer(const std::string& id) {
    v1::Offer offer;
    offer.set_offer_id(id);
    offer.set_name(id);
    offer.set_receipt_text(id);
    offer.mutable_percent_off()->mutable_items()->add_departments("dairy");
    offer.mutable_percent_off()->set_basis_points(1000);
    offer.mutable_targeting()->set_audience(v1::AUDIENCE_EVERYONE);
    return offer;
}

}  // namespace

TEST_CASE("a batch is stored once: replays and overlapping batches add nothing, the ack is the highest held") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    CHECK(hello(*s, contact("S0042-T03")) == 0);
    auto first = store(*s, batch_of({purchase(1), purchase(2), purchase(3)}));
    CHECK(first.stored_through == 3);
    CHECK(first.new_events == 3);
    auto replay = store(*s, batch_of({purchase(2), purchase(3), purchase(4)}));
    CHECK(replay.stored_through == 4);
    CHECK(replay.new_events == 1);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM events") == 4);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM sales") == 4);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM sale_lines") == 12);
    CHECK(hello(*s, contact("S0042-T03")) == 4);  // a reconnect resumes after what is held
    const auto terminals = s->terminals();
    REQUIRE(terminals.size() == 1);
    CHECK(terminals[0].events == 4);
    CHECK(terminals[0].connected);
    // Two hellos (the old link not yet noticed dead): the old one's disconnect leaves it connected.
    {
        const auto write = s->begin_journal();
        write->record_disconnect("S0042-T03", hq::Clock::now());
        write->commit();
    }
    CHECK(s->terminals()[0].connected);
    {
        const auto write = s->begin_journal();
        write->record_disconnect("S0042-T03", hq::Clock::now());
        write->commit();
    }
    CHECK_FALSE(s->terminals()[0].connected);
    {
        const auto write = s->begin_journal();
        write->record_hello(contact("S0042-T03"));
        write->commit();
    }
    s->forget_connections();  // a server starting again
    CHECK_FALSE(s->terminals()[0].connected);
    CHECK(s->conflicts().empty());
}

TEST_CASE("journalled events are applied behind the journal, in order, each exactly once, across a reopen") {
    TempDir dir;
    {
        auto s = hq::open_sqlite_storage(dir / "hq.db");
        hello(*s, contact("S0042-T03"));
        hq::BatchResult result;
        {
            const auto write = s->begin_journal();
            result = write->store_batch(
                "S0042-T03",
                batch_of({enrollment(1, "S0042-T03-TAG01-C000001", "6036000000000013"),
                          with_points(purchase(2), "S0042-T03-TAG01-C000001", 50, 0), purchase(3), purchase(4)}),
                hq::Clock::now());
            write->commit();
        }
        CHECK(result.stored_through == 4);  // what the terminal is acknowledged for
        CHECK(s->unapplied() == 4);
        CHECK(count(dir / "hq.db", "SELECT count(*) FROM sales") == 0);
        CHECK(s->summary().unapplied == 4);
        CHECK(s->apply_stored(2) == 2);  // the enrollment, then the sale that earned points
        CHECK(s->unapplied() == 2);
        CHECK(count(dir / "hq.db", "SELECT count(*) FROM sales") == 1);
        REQUIRE(s->customer("S0042-T03-TAG01-C000001"));
        CHECK(s->customer("S0042-T03-TAG01-C000001")->points_balance() == 50);
    }
    auto s = hq::open_sqlite_storage(dir / "hq.db");  // the cursor is durable with what it applied
    CHECK(s->unapplied() == 2);
    CHECK(s->apply_stored(100) == 2);
    CHECK(s->apply_stored(100) == 0);
    CHECK(s->unapplied() == 0);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM sales") == 3);
    CHECK(s->customer("S0042-T03-TAG01-C000001")->points_balance() == 50);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM points_ledger") == 1);

    // A stored body that cannot be read (a disk's bit flip, a bug) is reported and passed over.
    {
        sqlite::Database raw(dir / "hq.db");
        raw.exec(
            "INSERT INTO events (terminal_id, epoch, sequence, kind, store_id, terminal_time, received_at, body) "
            "VALUES ('S0042-T03', 1, 5, 'purchase', 'S0042', 0, 0, x'ffffffff')");
        raw.exec("UPDATE terminals SET stored_through = 5 WHERE terminal_id = 'S0042-T03'");
    }
    {
        const auto write = s->begin_journal();
        write->store_batch("S0042-T03", batch_of({purchase(6)}), hq::Clock::now());
        write->commit();
    }
    CHECK(s->apply_stored(100) == 2);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM sales") == 4);
    const auto conflicts = s->conflicts();
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].kind == "event_not_applied");
    CHECK(conflicts[0].sequence == 5);
    CHECK_THAT(conflicts[0].detail, Catch::Contains("stored body cannot be read"));
}

TEST_CASE("a batch the storage cannot take fails alone and leaves nothing, the rest of the group commits") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    hello(*s, contact("S0042-T04"));
    v1::Event unnumbered = purchase(2);
    unnumbered.mutable_header()->set_sequence(0);
    std::string refused;
    hq::StorageErrc refused_kind{};
    hq::BatchResult good;
    {
        const auto write = s->begin_journal();
        try {
            write->store_batch("S0042-T03", batch_of({purchase(1), unnumbered}), hq::Clock::now());
        } catch (const hq::StorageError& e) {
            refused = e.what();
            refused_kind = e.kind();
            CHECK_FALSE(e.transient());
        }
        good = write->store_batch("S0042-T04", batch_of({purchase(1, "S0042-T04")}), hq::Clock::now());
        write->commit();
    }
    CHECK(refused.find("event with sequence 0") != std::string::npos);
    CHECK(refused_kind == hq::StorageErrc::invalid);
    CHECK(good.stored_through == 1);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM events WHERE terminal_id = 'S0042-T03'") == 0);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM events WHERE terminal_id = 'S0042-T04'") == 1);
    CHECK_THROWS_WITH(store(*s, batch_of({purchase(1, "S0042-T09")}), "S0042-T09"),
                      Catch::Contains("sent events before its hello"));
    // A body this head office does not know (a newer till) is kept and reported, never a reason to
    // stop the terminal's backlog.
    v1::Event bodiless;
    bodiless.mutable_header()->set_sequence(2);
    CHECK(store(*s, batch_of({bodiless, purchase(3, "S0042-T04")}), "S0042-T04").stored_through == 3);
    CHECK(conflict_kinds(*s) == std::vector<std::string>{"unknown_event"});
}

TEST_CASE("points: head office's ledger moves the balance, and the customer goes down to the tills") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    store(*s, batch_of({enrollment(1, "S0042-T03-TAG01-C000001", "6036000000000013"),
                        with_points(purchase(2), "S0042-T03-TAG01-C000001", 120, 0),
                        with_points(purchase(3), "S0042-T03-TAG01-C000001", 10, 100)}));
    const auto customer = s->customer("S0042-T03-TAG01-C000001");
    REQUIRE(customer);
    CHECK(customer->points_balance() == 30);
    CHECK(customer->balance_version() == 3);
    REQUIRE(customer->loyalty_cards_size() == 1);
    CHECK(customer->loyalty_cards(0) == "6036000000000013");
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM points_ledger WHERE customer_id = 'S0042-T03-TAG01-C000001'") ==
          3);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM consent_log WHERE customer_id = 'S0042-T03-TAG01-C000001'") == 1);
    const auto delta = s->catalog_since(0, 1 << 20);
    REQUIRE(delta.size() == 1);
    CHECK(delta[0].full_resync());
    REQUIRE(delta[0].customers_size() == 1);
    CHECK(delta[0].customers(0).points_balance() == 30);
}

TEST_CASE(
    "conflicts offline tills cannot prevent are recorded: reused coupon, balance below zero, gaps, card "
    "enrolled twice") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    hello(*s, contact("S0042-T04"));
    auto coupon_sale = [](std::uint64_t seq, const std::string& terminal) {
        v1::Event e = purchase(seq, terminal);
        auto* d = e.mutable_purchase()->add_discounts();
        d->set_offer_id("BREAD-NEXT");
        d->set_coupon_code("BN-7Q2K");
        *d->mutable_amount() = eur(50);
        return e;
    };
    v1::Event twice = coupon_sale(1, "S0042-T03");  // one code on two lines of one sale: not a reuse
    *twice.mutable_purchase()->add_discounts() = twice.purchase().discounts(0);
    store(*s, batch_of({twice}), "S0042-T03");
    store(*s, batch_of({coupon_sale(1, "S0042-T04")}), "S0042-T04");
    store(*s, batch_of({enrollment(2, "S0042-T03-TAG01-C000001", "6036000000000013"),
                        with_points(purchase(3), "S0042-T03-TAG01-C000001", 0, 40)}));
    store(*s, batch_of({purchase(7)}));
    store(*s, batch_of({enrollment(8, "S0042-T03-TAG01-C000002", "6036000000000013")}));
    store(*s, batch_of({enrollment(9, "S0042-T03-TAG01-C000001",
                                   "6036000000000021")}));  // an id already given to another card
    const auto kinds = conflict_kinds(*s);
    CHECK(kinds == std::vector<std::string>{"coupon_reused", "balance_below_zero", "sequence_gap",
                                            "card_enrolled_twice", "customer_id_reused"});
    CHECK(s->customer("S0042-T03-TAG01-C000001")->contact().given_name() == "Jane");
    const auto rows = s->conflicts();
    CHECK(rows[0].detail.find("BN-7Q2K") != std::string::npos);
    CHECK(rows[0].detail.find("S0042-T03") != std::string::npos);
    CHECK(rows[0].terminal_id == "S0042-T04");
    CHECK(rows[1].detail.find("-40") != std::string::npos);
    CHECK(rows[2].detail.find("events 4 to 6") != std::string::npos);
    // The code is revoked at every till through the catalog.
    const auto delta = s->catalog_since(0, 1 << 20);
    REQUIRE(delta.size() == 1);
    REQUIRE(delta[0].revocations_size() == 1);
    CHECK(delta[0].revocations(0).code() == "BN-7Q2K");
    CHECK(delta[0].revocations(0).kind() == v1::REVOCATION_KIND_COUPON_CODE_REDEEMED);
}

TEST_CASE(
    "a till enrols only customers it made, once, with a free card, and consents only of customers it identified") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0009-T01"));
    hello(*s, contact("S0007-T01"));
    const std::string alice = "S0009-T01-TAG01-C000001";
    auto enrol = [](std::uint64_t seq, const std::string& terminal, const std::string& customer,
                    const std::string& card, const std::string& name) {
        v1::Event e = enrollment(seq, customer, card);
        e.mutable_header()->set_terminal_id(terminal);
        e.mutable_enrollment()->mutable_contact()->set_given_name(name);
        e.mutable_enrollment()->mutable_contact()->set_email(name + "@example.com");
        return e;
    };
    store(*s, batch_of({enrol(1, "S0009-T01", alice, "6036000000000013", "alice")}), "S0009-T01");
    REQUIRE(s->customer(alice)->contact().email() == "alice@example.com");

    // Another till sends an enrolment for her id and card: kept and acknowledged, changes nothing.
    const auto stored = store(*s, batch_of({enrol(1, "S0007-T01", alice, "6036000000000013", "mallory")}), "S0007-T01");
    CHECK(stored.stored_through == 1);
    CHECK(s->customer(alice)->contact().given_name() == "alice");
    CHECK(s->customer(alice)->contact().email() == "alice@example.com");
    // Its own id with her card: not applied either, the card stays hers.
    store(*s, batch_of({enrol(2, "S0007-T01", "S0007-T01-TAG01-C000001", "6036000000000013", "mallory")}), "S0007-T01");
    CHECK_FALSE(s->customer("S0007-T01-TAG01-C000001").has_value());
    // Her own till cannot rewrite her either: contact details change only at head office.
    store(*s, batch_of({enrol(2, "S0009-T01", alice, "6036000000000013", "eve")}), "S0009-T01");
    CHECK(s->customer(alice)->contact().given_name() == "alice");
    // A terminal named like another with a suffix does not own its ids.
    store(*s, batch_of({enrol(3, "S0007-T01", "S0007-T01X-TAG01-C000001", "6036000000000021", "x")}), "S0007-T01");
    CHECK_FALSE(s->customer("S0007-T01X-TAG01-C000001").has_value());

    // Consents: another till changes them only when it was shown her card.
    auto withdraw = [](std::uint64_t seq, const std::string& card) {
        v1::Event e;
        e.mutable_header()->set_terminal_id("S0007-T01");
        e.mutable_header()->set_store_id("S0042");
        e.mutable_header()->set_sequence(seq);
        e.mutable_consent()->set_customer_id("S0009-T01-TAG01-C000001");
        e.mutable_consent()->set_loyalty_card(card);
        auto* change = e.mutable_consent()->add_changes();
        change->set_purpose(v1::CONSENT_PURPOSE_PROFILING);
        change->set_granted(false);
        return e;
    };
    auto profiling = [&] {
        const auto customer = s->customer(alice);
        for (const auto& c : customer->consents())
            if (c.purpose() == v1::CONSENT_PURPOSE_PROFILING) return c.granted();
        return false;
    };
    REQUIRE(profiling());
    store(*s, batch_of({withdraw(4, "")}), "S0007-T01");
    CHECK(profiling());
    // A sale with points at that till, for her, with a card of its own: the card does not become
    // hers (nor her points its), so it does not identify her either.
    v1::Event sale = with_points(purchase(5, "S0007-T01"), alice, 10, 0);
    sale.mutable_purchase()->set_loyalty_card("6036000000000039");
    store(*s, batch_of({sale}), "S0007-T01");
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM customer_cards WHERE loyalty_card = '6036000000000039'") == 0);
    store(*s, batch_of({withdraw(6, "6036000000000039")}), "S0007-T01");
    CHECK(profiling());
    store(*s, batch_of({withdraw(7, "6036000000000013")}), "S0007-T01");
    CHECK_FALSE(profiling());

    CHECK(conflict_kinds(*s) == std::vector<std::string>{"customer_not_owned", "card_enrolled_twice",
                                                         "customer_enrolled_again", "customer_not_owned",
                                                         "consent_not_identified", "consent_not_identified"});
    const auto rows = s->conflicts();
    CHECK(rows[0].terminal_id == "S0007-T01");
    CHECK(rows[0].customer_id == alice);
    CHECK_THAT(rows[0].detail, Catch::Contains("an id another terminal made; the customer is unchanged"));
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM events") == 9);  // every event kept in the journal
}

TEST_CASE("a return's points reversal applied before the sale that earned them is no balance conflict") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    hello(*s, contact("S0042-T04"));
    store(*s, batch_of({enrollment(1, "S0042-T03-TAG01-C000001", "6036000000000013")}));
    // T04 takes back a sale of T03's whose event has not arrived yet (T03 was offline).
    v1::Event back;
    back.mutable_header()->set_terminal_id("S0042-T04");
    back.mutable_header()->set_store_id("S0042");
    back.mutable_header()->set_sequence(1);
    *back.mutable_header()->mutable_terminal_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
    auto& r = *back.mutable_sale_return();
    r.set_return_id("S0042-T04-R000001");
    r.set_original_sale_id("S0042-T03-2");
    r.set_original_terminal_id("S0042-T03");
    r.set_customer_id("S0042-T03-TAG01-C000001");
    r.set_points_reversed(50);
    *r.mutable_refund_total() = eur(300);
    store(*s, batch_of({back}), "S0042-T04");
    CHECK(s->customer("S0042-T03-TAG01-C000001")->points_balance() == -50);
    store(*s, batch_of({with_points(purchase(2), "S0042-T03-TAG01-C000001", 50, 0)}));
    CHECK(s->customer("S0042-T03-TAG01-C000001")->points_balance() == 0);
    CHECK(conflict_kinds(*s).empty());
}

TEST_CASE("a terminal back with another database counts its sequences again from 1: nothing is taken for a replay") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03", "db-old"));
    store(*s, batch_of({purchase(1), purchase(2), purchase(3)}));
    CHECK(hello(*s, contact("S0042-T03", "db-new")) == 0);
    v1::Event fresh = purchase(1);
    fresh.mutable_purchase()->set_sale_id("S0042-T03-NEW-1");
    CHECK(store(*s, batch_of({fresh})).new_events == 1);
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM events") == 4);
    CHECK(conflict_kinds(*s) == std::vector<std::string>{"database_replaced"});
    CHECK(hello(*s, contact("S0042-T03", "db-new")) == 1);
    // The same database restored from a backup holding less than head office: counted afresh too.
    v1::Event second = purchase(2), third = purchase(3);
    second.mutable_purchase()->set_sale_id("S0042-T03-NEW-2");
    third.mutable_purchase()->set_sale_id("S0042-T03-NEW-3");
    store(*s, batch_of({second, third}));
    auto restored = contact("S0042-T03", "db-new");
    restored.next_sequence = 2;
    CHECK(hello(*s, restored) == 0);
    CHECK(conflict_kinds(*s) == std::vector<std::string>{"database_replaced", "database_restored"});
}

TEST_CASE("a terminal database restored from a backup: told so, sends from its ack, the same sale again is a replay") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    store(*s, batch_of({purchase(1), purchase(2), purchase(3), purchase(4), purchase(5)}));
    // Back holding events 1-3 of which 2 were acknowledged when the backup was taken.
    auto restored = contact("S0042-T03");
    restored.next_sequence = 4;
    restored.acked_through = 2;
    hq::HelloResult result;
    {
        const auto write = s->begin_journal();
        result = write->record_hello(restored);
        write->commit();
    }
    CHECK(result.database_restored);
    CHECK(result.stored_through == 2);
    // The Welcome lost with the link: the terminal comes back still using its old tag, and is told again.
    {
        const auto write = s->begin_journal();
        result = write->record_hello(restored);
        write->commit();
    }
    CHECK(result.database_restored);
    CHECK(result.stored_through == 2);
    // It sends 3 again (held already in the old numbering: the same sale), then what it made
    // since the restore: 4 under an id head office holds for another sale (made before the
    // terminal learnt of the restore), 5 under its new tag.
    v1::Event again = purchase(3), clash = purchase(4), tagged = purchase(5);
    clash.mutable_purchase()->mutable_total()->set_minor_units(1);
    tagged.mutable_purchase()->set_sale_id("S0042-T03-NEW01-000005");
    CHECK(store(*s, batch_of({again, clash, tagged})).stored_through == 5);
    CHECK(conflict_kinds(*s) == std::vector<std::string>{"database_restored", "duplicate_sale"});
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM sales") == 6);
    // Next time it holds what head office holds, with its new tag: nothing restored, and no more.
    restored.next_sequence = 6;
    restored.acked_through = 5;
    restored.id_tag = "NEW01";
    {
        const auto write = s->begin_journal();
        result = write->record_hello(restored);
        write->commit();
    }
    CHECK_FALSE(result.database_restored);
    CHECK(result.stored_through == 5);
    {
        const auto write = s->begin_journal();
        result = write->record_hello(restored);
        write->commit();
    }
    CHECK_FALSE(result.database_restored);
}

TEST_CASE("catalog: offers, retirements, assignments and points rules as versioned deltas, in parts") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    CHECK(s->catalog_version() == 0);
    CHECK(s->catalog_since(0, 1 << 20).empty());
    v1::PointsRules rules;
    rules.set_points_per_currency_unit(1);
    s->put_offers({percent_offer("A"), percent_offer("B")}, &rules);
    CHECK(s->catalog_version() == 1);
    hello(*s, contact("S0042-T03"));
    store(*s, batch_of({enrollment(1, "S0042-T03-TAG01-C000001", "6036000000000013")}));
    CHECK(s->catalog_version() == 2);
    v1::OfferAssignment a;
    a.set_offer_id("B");
    a.set_customer_id("S0042-T03-TAG01-C000001");
    a.set_code("B-123");
    s->assign(a);
    CHECK(s->catalog_version() == 3);
    a.set_customer_id("C-404");
    CHECK_THROWS_WITH(s->assign(a), Catch::Contains("no customer C-404"));
    CHECK(s->retire_offer("A"));
    CHECK_FALSE(s->retire_offer("A"));
    CHECK(s->catalog_version() == 4);

    const auto from3 = s->catalog_since(3, 1 << 20);
    REQUIRE(from3.size() == 1);
    CHECK_FALSE(from3[0].full_resync());
    CHECK(from3[0].from_version() == 3);
    CHECK(from3[0].to_version() == 4);
    CHECK(from3[0].offers_size() == 0);
    REQUIRE(from3[0].removed_offer_ids_size() == 1);
    CHECK(from3[0].removed_offer_ids(0) == "A");

    const auto full = s->catalog_since(0, 1 << 20);
    REQUIRE(full.size() == 1);
    CHECK(full[0].full_resync());
    REQUIRE(full[0].offers_size() == 1);
    CHECK(full[0].offers(0).offer_id() == "B");
    CHECK(full[0].assignments_size() == 1);
    CHECK(full[0].customers_size() == 1);
    CHECK(full[0].has_points_rules());
    CHECK(s->catalog_since(99, 1 << 20).at(0).full_resync());  // a version head office never had

    std::vector<v1::Offer> many;
    for (int i = 0; i < 300; ++i)
        many.push_back(percent_offer("BULK-" + std::to_string(i)));
    s->put_offers(many, nullptr);
    const auto parts = s->catalog_since(4, 4096);
    REQUIRE(parts.size() > 3);
    int offers = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        CHECK(parts[i].more_parts() == (i + 1 < parts.size()));
        CHECK(parts[i].ByteSizeLong() < 4096 + 512);
        offers += parts[i].offers_size();
    }
    CHECK(offers == 300);
}

TEST_CASE("tills get a customer's display name, birthday and keyed hashes, never phone, e-mail or full name") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    v1::Event e = enrollment(1, "S0042-T03-TAG01-C000001", "6036000000000013");
    auto* details = e.mutable_enrollment()->mutable_contact();
    details->set_family_name("Doe");
    details->set_email("Jane.Doe@example.com");
    details->set_phone("+4930123456");
    details->mutable_birthday()->set_year(1990);
    details->mutable_birthday()->set_month(7);
    details->mutable_birthday()->set_day(14);
    store(*s, batch_of({e}));
    // Head office keeps them all (customer service, export).
    CHECK(s->customer("S0042-T03-TAG01-C000001")->contact().email() == "Jane.Doe@example.com");

    const auto delta = s->catalog_since(0, 1 << 20);
    REQUIRE(delta.size() == 1);
    REQUIRE(delta[0].customers_size() == 1);
    const std::string key = delta[0].contact_key().key();
    REQUIRE(key.size() == 32);
    const v1::Customer& c = delta[0].customers(0);
    CHECK_FALSE(c.has_contact());
    CHECK(c.display_name() == "Jane D.");
    CHECK(c.birthday_month() == 7);
    CHECK(c.birthday_day() == 14);
    CHECK(c.phone_key() == domain::contact_lookup_key(key, domain::ContactKind::phone, "+4930123456"));
    CHECK(c.email_key() == domain::contact_lookup_key(key, domain::ContactKind::email, "jane.doe@example.com"));
    const std::string wire = delta[0].SerializeAsString();
    for (const char* clear : {"Doe@", "doe@", "4930123456", "Doe", "1990"})
        CHECK(wire.find(clear) == std::string::npos);

    // A rotation: a new key, and every customer again under it.
    const std::uint64_t before = s->catalog_version();
    const std::uint64_t rotated = s->rotate_contact_key();
    CHECK(rotated > before);
    const auto after = s->catalog_since(before, 1 << 20);
    REQUIRE(after.size() == 1);
    const std::string new_key = after[0].contact_key().key();
    CHECK(new_key.size() == 32);
    CHECK(new_key != key);
    CHECK(after[0].contact_key().since_version() == rotated);
    REQUIRE(after[0].customers_size() == 1);
    CHECK(after[0].customers(0).phone_key() ==
          domain::contact_lookup_key(new_key, domain::ContactKind::phone, "+4930123456"));
    // A delta that does not span the rotation carries no key.
    CHECK(s->catalog_since(rotated, 1 << 20).empty());
}

TEST_CASE("a delta from head office lands in a terminal's cache in one transaction, and a gap is refused unchanged") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    s->put_offers({percent_offer("A"), percent_offer("B")}, nullptr);
    hello(*s, contact("S0042-T99"));
    store(*s, batch_of({enrollment(1, "S0042-T99-TAG01-C000001", "6036000000000013")}), "S0042-T99");
    v1::OfferAssignment a;
    a.set_offer_id("B");
    a.set_customer_id("S0042-T99-TAG01-C000001");
    s->assign(a);
    v1::Event coupon = purchase(2, "S0042-T99");
    coupon.mutable_purchase()->add_discounts()->set_coupon_code("ONCE-1");
    store(*s, batch_of({coupon}), "S0042-T99");

    terminal::LocalStore till(
        terminal::LocalStoreOptions{.data_dir = dir / "till", .terminal_id = "S0042-T03", .store_id = "S0042"});
    auto reject_b = [](const v1::Offer& offer) { return offer.offer_id() == "B" ? std::string{"offer B: no"} : ""; };
    const auto refused = till.apply_catalog(s->catalog_since(0, 1 << 20), reject_b);
    CHECK(refused == std::vector<std::string>{"offer B: no"});
    CHECK(till.catalog_version() == s->catalog_version());
    CHECK(till.offer_count() == 1);
    CHECK(till.coupon_used("ONCE-1"));
    CHECK(count(dir / "till" / "terminal.db",
                "SELECT count(*) FROM customer_cards WHERE customer_id = 'S0042-T99-TAG01-C000001'") == 1);

    const std::uint64_t before = till.catalog_version();
    REQUIRE(s->retire_offer("A"));
    auto delta = s->catalog_since(before, 1 << 20);
    auto gap = delta;
    gap[0].set_from_version(before + 7);
    for (auto& part : gap)
        part.set_from_version(before + 7);
    CHECK_THROWS_WITH(till.apply_catalog(gap, {}), Catch::Contains("does not follow the cached version"));
    CHECK(till.offer_count() == 1);
    till.apply_catalog(delta, {});
    CHECK(till.offer_count() == 0);
    CHECK(till.catalog_version() == s->catalog_version());
}

TEST_CASE("an offer retired and added again brings its assignments back down to the tills") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    s->put_offers({percent_offer("A")}, nullptr);
    hello(*s, contact("S0042-T03"));
    store(*s, batch_of({enrollment(1, "S0042-T03-TAG01-C000001", "6036000000000013")}));
    v1::OfferAssignment a;
    a.set_offer_id("A");
    a.set_customer_id("S0042-T03-TAG01-C000001");
    s->assign(a);
    REQUIRE(s->retire_offer("A"));
    const std::uint64_t retired = s->catalog_version();
    s->put_offers({percent_offer("A")}, nullptr);
    const auto delta = s->catalog_since(retired, 1 << 20);
    REQUIRE(delta.size() == 1);
    REQUIRE(delta[0].offers_size() == 1);
    REQUIRE(delta[0].assignments_size() == 1);
    CHECK(delta[0].assignments(0).customer_id() == "S0042-T03-TAG01-C000001");
    // A new revision of a live offer does not send its assignments again.
    const std::uint64_t live = s->catalog_version();
    s->put_offers({percent_offer("A")}, nullptr);
    CHECK(s->catalog_since(live, 1 << 20).at(0).assignments_size() == 0);
}

TEST_CASE("a card blocked at head office stays blocked at the till, also across its customer's updates and a resync") {
    TempDir dir;
    terminal::LocalStore till(
        terminal::LocalStoreOptions{.data_dir = dir / "till", .terminal_id = "S0042-T03", .store_id = "S0042"});
    auto delta = [](std::uint64_t from, std::uint64_t to, bool full) {
        v1::CatalogDelta d;
        d.set_from_version(from);
        d.set_to_version(to);
        d.set_full_resync(full);
        v1::Customer& c = *d.add_customers();
        c.set_customer_id("S0042-T03-TAG01-C000001");
        c.add_loyalty_cards("6036000000000013");  // the card still in use; the lost one is not listed
        v1::Revocation& r = *d.add_revocations();
        r.set_kind(v1::REVOCATION_KIND_CARD_BLOCKED);
        r.set_customer_id("S0042-T03-TAG01-C000001");
        r.set_loyalty_card("6036000000000021");
        return d;
    };
    const auto blocked = [&] {
        return count(dir / "till" / "terminal.db",
                     "SELECT count(*) FROM customer_cards WHERE loyalty_card = '6036000000000021' AND blocked = 1");
    };
    // The card was known here before it was lost.
    v1::CatalogDelta first = delta(0, 1, true);
    first.mutable_customers(0)->add_loyalty_cards("6036000000000021");
    first.clear_revocations();
    till.apply_catalog({first}, {});
    CHECK(blocked() == 0);
    till.apply_catalog({delta(1, 2, false)}, {});
    CHECK(blocked() == 1);
    // The customer changes again (the blocked card still not listed): it stays blocked.
    v1::CatalogDelta later = delta(2, 3, false);
    later.clear_revocations();
    till.apply_catalog({later}, {});
    CHECK(blocked() == 1);
    // A full resync drops the cache and repeats the block.
    till.apply_catalog({delta(0, 4, true)}, {});
    CHECK(blocked() == 1);
    CHECK(count(dir / "till" / "terminal.db", "SELECT count(*) FROM customer_cards WHERE blocked = 0") == 1);
}

TEST_CASE("catalog deltas are read on the reader's thread once per change and shared by the tills that ask") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    s->put_offers({percent_offer("A")}, nullptr);
    REQUIRE(s->catalog_version() == 1);
    hq::CatalogReader reader(hq::open_sqlite_storage(dir / "hq.db"), 1 << 20, 1 << 20);
    struct Answer {
        hq::CatalogReader::Parts parts;
        std::string error;
    };
    auto ask = [](hq::CatalogReader& r, std::uint64_t have, std::uint64_t known) {
        std::promise<Answer> answered;
        auto future = answered.get_future();
        r.request(have, known, [&answered](hq::CatalogReader::Parts parts, const std::string& error, bool) {
            answered.set_value({std::move(parts), error});
        });
        return future.get();
    };
    auto offer_ids = [](const Answer& a) {
        std::vector<std::string> ids;
        for (const auto& part : *a.parts)
            for (const auto& offer : part.offers())
                ids.push_back(offer.offer_id());
        return ids;
    };

    for (int till = 0; till < 10; ++till) {
        const Answer a = ask(reader, 0, 1);
        REQUIRE(a.error.empty());
        CHECK(a.parts->at(0).full_resync());
        CHECK(offer_ids(a) == std::vector<std::string>{"A"});
    }
    CHECK(reader.stats().requests == 10);
    CHECK(reader.stats().reads == 1);
    CHECK(ask(reader, 1, 1).parts->empty());  // nothing newer
    CHECK(reader.stats().reads == 2);

    // A change: what was cached reaches an older version and is read again, once.
    s->put_offers({percent_offer("B")}, nullptr);
    CHECK(offer_ids(ask(reader, 0, 2)) == std::vector<std::string>{"A", "B"});
    CHECK(reader.stats().reads == 3);
    for (int till = 0; till < 5; ++till)
        CHECK(offer_ids(ask(reader, 1, 2)) == std::vector<std::string>{"B"});
    CHECK(reader.stats().reads == 4);

    // Over the cache's budget: read every time, still answered.
    hq::CatalogReader uncached(hq::open_sqlite_storage(dir / "hq.db"), 1 << 20, 0);
    CHECK(offer_ids(ask(uncached, 0, 2)) == std::vector<std::string>{"A", "B"});
    CHECK(offer_ids(ask(uncached, 0, 2)) == std::vector<std::string>{"A", "B"});
    CHECK(uncached.stats().reads == 2);

    reader.stop();
    CHECK_THAT(ask(reader, 0, 2).error, Catch::Contains("shutting down"));
}

TEST_CASE(
    "a full disk is head office's state, not the batch's: refused as full, nothing half-kept, stored once there is "
    "room") {
    test::SmallDisk disk(8 << 20);
    auto s = hq::open_sqlite_storage(disk.path() / "hq.db");
    hello(*s, contact("S0042-T03"));
    store(*s, batch_of({purchase(1)}));
    CHECK(disk.fill() > 0);
    v1::EventBatch backlog;
    for (std::uint64_t n = 2; n <= 200; ++n)
        *backlog.add_events() = purchase(n);
    hq::StorageErrc kind{};
    bool transient = false;
    std::string what;
    try {
        {
            const auto write = s->begin_journal();
            write->store_batch("S0042-T03", backlog, hq::Clock::now());
            write->commit();
        }
    } catch (const hq::StorageError& e) {
        kind = e.kind();
        transient = e.transient();
        what = e.what();
    }
    INFO(what);
    CHECK(kind == hq::StorageErrc::full);
    CHECK(transient);
    CHECK(hq::make_error_code(kind).message() == "no space left for the database");
    // Head office's own commands meet the same kind (an offer added while the disk is full).
    v1::Offer offer;
    offer.set_offer_id("WHILE-FULL");
    offer.set_name("added while the disk is full");
    try {
        s->put_offers({offer}, nullptr);
        FAIL("an offer was stored on a full disk");
    } catch (const hq::StorageError& e) {
        CHECK(e.kind() == hq::StorageErrc::full);
    }
    disk.free();
    const hq::BatchResult result = store(*s, backlog);
    CHECK(result.new_events == 199);  // none of them was kept by the failed attempt
    CHECK(result.stored_through == 200);
    CHECK(count(disk.path() / "hq.db", "SELECT count(*) FROM sales") == 200);
}

TEST_CASE("storage errors name their kind: unknown, conflicting and unreadable are told apart") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    v1::OfferAssignment unknown;
    unknown.set_offer_id("NOPE");
    unknown.set_customer_id("C1");
    try {
        s->assign(unknown);
        FAIL("an assignment of an unknown offer was accepted");
    } catch (const hq::StorageError& e) {
        CHECK(e.kind() == hq::StorageErrc::not_found);
        CHECK_FALSE(e.transient());
        CHECK_THAT(e.what(), Catch::Contains("no live offer NOPE"));
    }
    s.reset();
    test::write_file(dir / "garbage.db", std::string(8192, 'x'));
    try {
        (void)hq::open_sqlite_storage(dir / "garbage.db");
        FAIL("a file that is no database was opened");
    } catch (const hq::StorageError& e) {
        CHECK(e.kind() == hq::StorageErrc::corrupt);
        CHECK_THAT(e.what(), Catch::Contains("garbage.db"));
    }
}

TEST_CASE("a group commit dropped without commit() leaves nothing, and the same batch is new afterwards") {
    TempDir dir;
    auto s = hq::open_sqlite_storage(dir / "hq.db");
    hello(*s, contact("S0042-T03"));
    {
        const auto write = s->begin_journal();
        CHECK(write->store_batch("S0042-T03", batch_of({purchase(1), purchase(2)}), hq::Clock::now()).new_events == 2);
    }  // an exception between the batches and the commit ends up here
    CHECK(count(dir / "hq.db", "SELECT count(*) FROM events") == 0);
    CHECK(count(dir / "hq.db", "SELECT stored_through FROM terminals WHERE terminal_id = 'S0042-T03'") == 0);
    const hq::BatchResult again = store(*s, batch_of({purchase(1), purchase(2)}));
    CHECK(again.new_events == 2);
    CHECK(again.stored_through == 2);
}
