// The terminal's local store on real SQLite files: schema and migrations, file permissions,
// whole sales in one transaction, the outbox sequence, the open basket and the disk budget.
#include "terminal/store/local_store.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/sqlite/migrations.hpp"
#include "domain/contact.hpp"
#include "terminal/store/customer_directory.hpp"
#include "terminal/store/schema.hpp"
#include "tests/store/sample_sale.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using loyalty::test::make_purchase;
using loyalty::test::TempDir;

namespace {

LocalStore open_store(const TempDir& dir, std::uint64_t budget = 0) {
    return LocalStore(LocalStoreOptions{
        .data_dir = dir / "data", .disk_budget_bytes = budget, .terminal_id = "S0042-T03", .store_id = "S0042"});
}

std::int64_t count(LocalStore& store, const std::string& sql) {
    return store.database().query_int64(sql).value();
}

unsigned mode_of(const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a new store is created private, in WAL mode, at the newest schema") {
    TempDir dir;
    LocalStore store = open_store(dir);
    CHECK(store.schema_version() == terminal_schema_version());
    CHECK(terminal_schema_version() == 9);
    CHECK(mode_of(dir / "data") == 0700);
    CHECK(mode_of(dir / "data/terminal.db") == 0600);
    CHECK(store.database().query_text("PRAGMA journal_mode") == "wal");
    CHECK(store.database().query_int64("PRAGMA synchronous") == 2);  // FULL
    CHECK(store.database().query_int64("PRAGMA foreign_keys") == 1);
    CHECK(store.database().query_int64("PRAGMA busy_timeout") == 5000);
    // The WAL and shared-memory files exist once something was written, with the database's mode.
    auto event = make_purchase("T03-000001");
    store.record_purchase(event);
    CHECK(mode_of(dir / "data/terminal.db-wal") == 0600);
    CHECK(mode_of(dir / "data/terminal.db-shm") == 0600);
}

TEST_CASE("an existing data dir and database with loose permissions are made private") {
    TempDir dir;
    std::filesystem::create_directories(dir / "data");
    ::chmod((dir / "data").c_str(), 0777);
    loyalty::test::write_file(dir / "data/terminal.db", "");
    ::chmod((dir / "data/terminal.db").c_str(), 0644);
    loyalty::test::write_file(dir / "data/terminal.db-wal", "");
    ::chmod((dir / "data/terminal.db-wal").c_str(), 0644);
    LocalStore store = open_store(dir);
    CHECK(mode_of(dir / "data") == 0700);
    CHECK(mode_of(dir / "data/terminal.db") == 0600);
    CHECK(mode_of(dir / "data/terminal.db-wal") == 0600);
}

TEST_CASE("a data dir that is a file is refused with a clear error") {
    TempDir dir;
    loyalty::test::write_file(dir / "data", "not a directory");
    CHECK_THROWS_WITH(open_store(dir), Catch::Contains("exists but is not a directory"));
}

TEST_CASE("each database tags its ids: five Crockford base32 characters, kept across a reopen, renewed on demand") {
    TempDir dir;
    std::string tag;
    {
        LocalStore store = open_store(dir);
        tag = store.id_tag();
        REQUIRE(tag.size() == 5);
        CHECK(tag.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ") == std::string::npos);
    }
    LocalStore store = open_store(dir);
    CHECK(store.id_tag() == tag);
    store.renew_id_tag();
    CHECK(store.id_tag() != tag);
    CHECK(store.database().query_text("SELECT id_tag FROM identity") == store.id_tag());
    // Another database of the same terminal gets its own.
    TempDir other;
    CHECK(open_store(other).id_tag() != store.id_tag());
}

TEST_CASE("the store migrates from each earlier schema version and keeps what it held") {
    for (int start = 1; start < terminal_schema_version(); ++start) {
        INFO("from version " << start);
        TempDir dir;
        {
            // What a release at that version had written: one sale with its event (v1 tables).
            LocalStore old(LocalStoreOptions{.data_dir = dir / "data", .schema_target = start});
            REQUIRE(old.schema_version() == start);
            old.database().exec(R"sql(
                UPDATE counters SET value = 1 WHERE name = 'outbox_sequence';
                INSERT INTO outbox (sequence, kind, body, created_at) VALUES (1, 'purchase', x'0a00', 1);
                INSERT INTO sales (sale_id, sequence, cashier_id, completed_at, currency, subtotal,
                                   discount_total, total) VALUES ('T03-000001', 1, 'C-1', 1, 'EUR', 398, 0, 398);
                INSERT INTO sale_lines (sale_id, line_no, gtin, description, department, units, unit_price,
                                        line_total) VALUES ('T03-000001', 1, '4006381333931', 'milk', 'dairy', 2,
                                                            199, 398);
            )sql");
        }
        LocalStore store = open_store(dir);
        CHECK(store.schema_version() == terminal_schema_version());
        CHECK(store.id_tag().size() == 5);
        CHECK(count(store, "SELECT count(*) FROM sales") == 1);
        CHECK(count(store, "SELECT count(*) FROM sale_lines") == 1);
        CHECK(store.outbox_stats().last_sequence == 1);
        auto next = make_purchase("T03-000002");
        CHECK(store.record_purchase(next) == 2);
        CHECK(store.catalog_version() == 0);
    }
}

TEST_CASE("a database written by a newer release is refused and left as it is") {
    TempDir dir;
    { LocalStore store = open_store(dir); }
    {
        loyalty::sqlite::Database db(dir / "data/terminal.db");
        db.exec("PRAGMA user_version = 42");
    }
    CHECK_THROWS_WITH(open_store(dir), Catch::Contains("schema version 42") && Catch::Contains("newer"));
    loyalty::sqlite::Database db(dir / "data/terminal.db");
    CHECK(loyalty::sqlite::schema_version(db) == 42);
}

TEST_CASE("a corrupt database is refused at open with the integrity check's findings") {
    TempDir dir;
    {
        LocalStore store = open_store(dir);
        for (int i = 1; i <= 200; ++i) {
            auto event = make_purchase("T03-" + std::to_string(i));
            store.record_purchase(event);
        }
        store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    // Overwrite part of the database's pages (past the header) with garbage.
    const auto path = dir / "data/terminal.db";
    std::string bytes = loyalty::test::read_file(path);
    REQUIRE(bytes.size() > 64 * 1024);
    for (std::size_t i = 8192; i < 40960; ++i)
        bytes[i] = static_cast<char>(i * 7);
    loyalty::test::write_file(path, bytes);
    CHECK_THROWS_AS(open_store(dir), StoreError);
    // Either the integrity check names what it found, or SQLite refuses the damaged pages outright.
    CHECK_THROWS_WITH(open_store(dir), Catch::Contains("terminal.db") &&
                                           (Catch::Contains("integrity check") || Catch::Contains("malformed")));
}

TEST_CASE("a completed sale is written whole: sale, lines, discounts, tenders and its event") {
    TempDir dir;
    LocalStore store = open_store(dir);
    store.begin_basket("T03-000001", "C-108", "EUR", Clock::now());
    auto event = make_purchase("T03-000001", 5, 2);
    const auto sequence = store.record_purchase(event);
    CHECK(sequence == 1);
    CHECK(event.header().sequence() == 1);
    CHECK(count(store, "SELECT count(*) FROM sales WHERE sale_id = 'T03-000001' AND sequence = 1") == 1);
    CHECK(count(store, "SELECT count(*) FROM sale_lines") == 5);
    CHECK(count(store, "SELECT count(*) FROM sale_lines WHERE weight_grams = 1250 AND units IS NULL") == 1);
    CHECK(count(store, "SELECT count(*) FROM sale_discounts") == 2);
    CHECK(count(store, "SELECT count(*) FROM sale_discount_targets") == 2);
    CHECK(count(store, "SELECT count(*) FROM sale_tenders") == 1);
    CHECK(count(store, "SELECT total FROM sales") == 4 * 398 + 374 - 100);
    CHECK_FALSE(store.open_basket().has_value());  // completing the sale closed its basket

    const auto pending = store.unacked_events(0, 10);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].kind == "purchase");
    loyalty::v1::Event stored;
    REQUIRE(stored.ParseFromString(pending[0].body));
    CHECK(stored.header().sequence() == 1);
    CHECK(stored.purchase().sale_id() == "T03-000001");
    CHECK(stored.purchase().lines_size() == 5);
}

TEST_CASE("a sale that cannot be recorded leaves nothing behind and uses no sequence number") {
    TempDir dir;
    LocalStore store = open_store(dir);
    auto first = make_purchase("T03-000001");
    store.record_purchase(first);

    SECTION("a duplicate sale id") {
        auto again = make_purchase("T03-000001");
        CHECK_THROWS_AS(store.record_purchase(again), loyalty::sqlite::Error);
        CHECK(again.header().sequence() == 0);
    }
    SECTION("a line that is neither counted nor weighed, after some lines were written") {
        auto bad = make_purchase("T03-000002");
        bad.mutable_purchase()->mutable_lines(3)->clear_quantity();
        CHECK_THROWS_WITH(store.record_purchase(bad), Catch::Contains("neither units nor a weight"));
    }
    SECTION("totals that do not add up") {
        auto bad = make_purchase("T03-000002");
        bad.mutable_purchase()->mutable_total()->set_minor_units(1);
        CHECK_THROWS_AS(store.record_purchase(bad), loyalty::sqlite::Error);
    }
    SECTION("a discount touching a line the sale does not have") {
        auto bad = make_purchase("T03-000002");
        bad.mutable_purchase()->mutable_discounts(1)->mutable_targets(0)->set_line_no(99);
        CHECK_THROWS_AS(store.record_purchase(bad), loyalty::sqlite::Error);
    }
    CHECK(count(store, "SELECT count(*) FROM sales") == 1);
    CHECK(count(store, "SELECT count(*) FROM sale_lines") == 5);
    CHECK(count(store, "SELECT count(*) FROM sale_discounts") == 2);
    CHECK(count(store, "SELECT count(*) FROM outbox") == 1);
    auto next = make_purchase("T03-000003");
    CHECK(store.record_purchase(next) == 2);
}

TEST_CASE("outbox sequences are monotonic across reopen, acknowledgement and pruning") {
    TempDir dir;
    std::uint64_t last = 0;
    for (int session = 0; session < 4; ++session) {
        LocalStore store = open_store(dir);
        for (int i = 0; i < 25; ++i) {
            auto event = make_purchase("S" + std::to_string(session) + "-" + std::to_string(i), 2, 0);
            const auto sequence = store.record_purchase(event);
            CHECK(sequence == last + 1);
            last = sequence;
        }
        loyalty::v1::Event consent;  // no header: the store stamps its own identity
        consent.mutable_consent()->set_customer_id("S0042-T03-C" + std::to_string(session));
        CHECK(store.record_event(consent) == ++last);
        // Acknowledge everything and prune it: the counter must not fall back.
        store.mark_acked(last, Clock::now() - std::chrono::hours(24 * 40));
        CHECK(store.prune_acked(Clock::now() - std::chrono::hours(24 * 30)) == 26);
        const OutboxStats stats = store.outbox_stats();
        CHECK(stats.depth == 0);
        CHECK(stats.last_sequence == last);
        CHECK(stats.acked_through == last);
    }
    CHECK(last == 4 * 26);
}

TEST_CASE("unacknowledged events come back in order, in bounded batches, until acknowledged") {
    TempDir dir;
    LocalStore store = open_store(dir);
    for (int i = 1; i <= 10; ++i) {
        auto event = make_purchase("T03-" + std::to_string(i), 1, 0);
        store.record_purchase(event);
    }
    auto batch = store.unacked_events(0, 4);
    REQUIRE(batch.size() == 4);
    CHECK(batch.front().sequence == 1);
    CHECK(batch.back().sequence == 4);
    batch = store.unacked_events(4, 100);
    REQUIRE(batch.size() == 6);
    CHECK(batch.front().sequence == 5);
    store.mark_acked(7);
    CHECK(store.outbox_stats().depth == 3);
    CHECK(store.outbox_stats().acked_through == 7);
    CHECK(store.unacked_events(0, 100).front().sequence == 8);
    // Acknowledged but within retention: kept.
    CHECK(store.prune_acked(Clock::now() - std::chrono::hours(24)) == 0);
    CHECK(count(store, "SELECT count(*) FROM outbox") == 10);
}

TEST_CASE("events head office lost after their ack (restored from a backup) are unacknowledged again") {
    TempDir dir;
    LocalStore store = open_store(dir);
    for (int i = 1; i <= 10; ++i) {
        auto event = make_purchase("T03-" + std::to_string(i), 1, 0);
        store.record_purchase(event);
    }
    const auto retention = Clock::now() - std::chrono::hours(24 * 30);
    store.mark_acked(4, Clock::now() - std::chrono::hours(24 * 40));
    REQUIRE(store.prune_acked(retention) == 4);  // 1-4 gone
    store.mark_acked(10, Clock::now() - std::chrono::hours(24 * 40));

    SECTION("within what the outbox holds") {
        CHECK(store.reopen_after(6) == 4);
        CHECK(store.acked_through() == 6);
        CHECK(store.outbox_stats().depth == 4);
        const auto again = store.unacked_events(6, 100);
        REQUIRE(again.size() == 4);
        CHECK(again.front().sequence == 7);
        // Not pruned while head office lacks them, however long ago they were acknowledged.
        CHECK(store.prune_acked(retention) == 2);  // 5 and 6 only
        CHECK(count(store, "SELECT count(*) FROM outbox") == 4);
        store.mark_acked(10);
        CHECK(store.acked_through() == 10);
    }
    SECTION("below what was pruned: the rest is sent, the pruned part cannot be") {
        CHECK(store.reopen_after(2) == 6);
        CHECK(store.acked_through() == 4);
        CHECK(store.unacked_events(2, 100).front().sequence == 5);
    }
    CHECK(store.reopen_after(10) == 0);
}

TEST_CASE("the open basket survives closing and reopening the store") {
    TempDir dir;
    const auto opened = Clock::now();
    {
        LocalStore store = open_store(dir);
        store.begin_basket("T03-000009", "C-108", "EUR", opened);
        auto sale = make_purchase("T03-000009", 3, 0);
        for (const auto& line : sale.purchase().lines())
            store.put_basket_line(line);
        auto changed = sale.purchase().lines(0);
        changed.mutable_quantity()->set_units(5);
        store.put_basket_line(changed);
        store.remove_basket_line(2);
        store.set_basket_customer("6036000000000011", "CUST-1");
        store.set_basket_points_to_redeem(250);
        store.set_basket_coupons({"SAVE5-XK2", "BDAY-77Q"});
    }
    LocalStore store = open_store(dir);
    auto basket = store.open_basket();
    REQUIRE(basket.has_value());
    CHECK(basket->sale_id == "T03-000009");
    CHECK(basket->cashier_id == "C-108");
    CHECK(basket->currency == "EUR");
    CHECK(to_unix_ms(basket->opened_at) == to_unix_ms(opened));
    CHECK(basket->loyalty_card == "6036000000000011");
    CHECK(basket->customer_id == "CUST-1");
    CHECK(basket->points_to_redeem == 250);
    CHECK(basket->coupon_codes == std::vector<std::string>{"SAVE5-XK2", "BDAY-77Q"});
    REQUIRE(basket->lines.size() == 2);
    CHECK(basket->lines[0].line_no() == 1);
    CHECK(basket->lines[0].quantity().units() == 5);
    CHECK(basket->lines[0].unit_price().currency() == "EUR");
    CHECK(basket->lines[1].line_no() == 3);
    CHECK(basket->lines[1].quantity().weight_grams() == 1250);
    store.discard_open_basket();
    CHECK_FALSE(store.open_basket().has_value());
    CHECK(count(store, "SELECT count(*) FROM open_basket_lines") == 0);
}

TEST_CASE("changing a basket that is not open is refused") {
    TempDir dir;
    LocalStore store = open_store(dir);
    auto sale = make_purchase("T03-1", 1, 0);
    CHECK_THROWS_AS(store.put_basket_line(sale.purchase().lines(0)), loyalty::sqlite::Error);
    CHECK_THROWS_WITH(store.set_basket_customer("6036000000000013", ""), Catch::Contains("no open basket"));
    CHECK_THROWS_WITH(store.set_basket_points_to_redeem(10), Catch::Contains("no open basket"));
}

TEST_CASE("events are stamped with this terminal's identity, another terminal's are refused") {
    TempDir dir;
    LocalStore store = open_store(dir);
    loyalty::v1::Event consent;
    consent.mutable_consent()->set_customer_id("S0042-T03-C1");
    CHECK(store.record_event(consent) == 1);
    CHECK(consent.header().terminal_id() == "S0042-T03");
    CHECK(consent.header().store_id() == "S0042");
    auto foreign = make_purchase("T07-1");
    foreign.mutable_header()->set_terminal_id("S0042-T07");
    CHECK_THROWS_WITH(store.record_purchase(foreign), Catch::Contains("names terminal S0042-T07"));
    CHECK(store.outbox_stats().last_sequence == 1);
}

TEST_CASE("pruning removes sales past retention only once head office holds their events") {
    TempDir dir;
    LocalStore store = open_store(dir);
    for (int i = 1; i <= 4; ++i) {
        auto event = make_purchase("T03-" + std::to_string(i), 2, 1);  // completed 2026-11-18
        store.record_purchase(event);
    }
    store.mark_acked(2, from_unix_ms(0));
    const auto after_sales = from_unix_ms(1'796'000'000'000);
    CHECK(store.prune_acked(after_sales) == 2);
    CHECK(count(store, "SELECT count(*) FROM sales") == 2);  // 3 and 4 are not acknowledged yet
    CHECK(count(store, "SELECT count(*) FROM sale_lines") == 4);
    CHECK(count(store, "SELECT count(*) FROM sale_discounts") == 2);
    CHECK(count(store, "SELECT min(sequence) FROM sales") == 3);
}

TEST_CASE("with a disk budget a full store refuses new sales, keeps every earlier one and stays sound") {
    TempDir dir;
    constexpr std::uint64_t k_budget = 256 * 1024;
    LocalStore store = open_store(dir, k_budget);
    int recorded = 0;
    bool full = false;
    for (int i = 0; i < 100'000 && !full; ++i) {
        auto event = make_purchase("T03-" + std::to_string(i), 20, 2);
        try {
            store.record_purchase(event);
            ++recorded;
        } catch (const loyalty::sqlite::Error& e) {
            CHECK(e.is_disk_full());
            full = true;
        }
    }
    REQUIRE(full);
    CHECK(recorded > 10);
    CHECK(std::filesystem::file_size(dir / "data/terminal.db") <= k_budget);
    CHECK(count(store, "SELECT count(*) FROM sales") == recorded);
    CHECK(count(store, "SELECT count(*) FROM sale_lines") == recorded * 20);
    CHECK(store.outbox_stats().last_sequence == static_cast<std::uint64_t>(recorded));
    CHECK(store.database().query_text("PRAGMA quick_check") == "ok");
    // Pruning acknowledged events makes room again.
    store.mark_acked(static_cast<std::uint64_t>(recorded), Clock::now() - std::chrono::hours(24 * 60));
    store.prune_acked(Clock::now());
    auto event = make_purchase("T03-after-prune", 2, 0);
    CHECK(store.record_purchase(event) == static_cast<std::uint64_t>(recorded) + 1);
}

TEST_CASE("an enrollment puts the customer and card in the cache with its event, in one transaction") {
    TempDir dir;
    LocalStore store = open_store(dir);
    loyalty::v1::Event event;
    auto* enrollment = event.mutable_enrollment();
    enrollment->set_customer_id("S0042-T03-C000001");
    enrollment->set_loyalty_card("6036000000000013");
    enrollment->mutable_contact()->set_given_name("Jane");
    enrollment->mutable_contact()->set_family_name("Doe");
    enrollment->mutable_contact()->set_email("jane@example.com");
    enrollment->mutable_contact()->set_phone("+4930123456");
    enrollment->mutable_contact()->mutable_birthday()->set_month(7);
    enrollment->mutable_contact()->mutable_birthday()->set_day(14);
    auto* consent = enrollment->add_consents();
    consent->set_purpose(loyalty::v1::CONSENT_PURPOSE_PROFILING);
    consent->set_granted(true);
    CHECK(store.record_enrollment(event) == 1);

    CustomerDirectory directory(store);
    const auto found = directory.find_by_card("6036000000000013");
    REQUIRE(found.has_value());
    CHECK(found->customer_id == "S0042-T03-C000001");
    CHECK(found->display_name() == "Jane D.");
    CHECK(found->birthday_month == 7);
    CHECK(found->tier == loyalty::v1::TIER_STANDARD);
    CHECK(found->profiling_consent);
    CHECK(directory.find_by_phone("+49 30 123456").size() == 1);
    CHECK(directory.find_by_email(" JANE@Example.com ").size() == 1);
    CHECK(directory.find_by_email("nobody@example.com").empty());
    CHECK(store.database().query_text("SELECT birthday FROM customers") == "--07-14");

    // The same card again is refused by the cache's key, and nothing of the second attempt stays.
    auto again = event;
    again.mutable_enrollment()->set_customer_id("S0042-T03-C000002");
    again.mutable_header()->clear_sequence();
    CHECK_THROWS_AS(store.record_enrollment(again), loyalty::sqlite::Error);
    CHECK(count(store, "SELECT count(*) FROM customers") == 1);
    CHECK(store.outbox_stats().last_sequence == 1);
}

TEST_CASE("returns are kept against their sale, so returned units and refunds add up") {
    TempDir dir;
    LocalStore store = open_store(dir);
    auto sale = make_purchase("S0042-T03-000001", 3, 1);
    store.record_purchase(sale);
    loyalty::v1::Event event;
    auto* r = event.mutable_sale_return();
    r->set_return_id("S0042-T03-R000001");
    r->set_original_sale_id("S0042-T03-000001");
    auto* line = r->add_lines();
    line->set_original_line_no(1);
    line->mutable_quantity()->set_units(1);
    *line->mutable_refund() = loyalty::test::eur(174);
    *r->mutable_refund_total() = loyalty::test::eur(174);
    r->set_points_reversed(1);
    CHECK(store.record_return(event) == 2);

    const auto stored = store.find_sale("S0042-T03-000001");
    REQUIRE(stored.has_value());
    CHECK(stored->sequence == 1);
    CHECK(stored->total == 3 * 398 - 50 + 374 - 398);
    REQUIRE(stored->lines.size() == 3);
    CHECK(stored->lines[0].targeted_discount == 50);
    CHECK(stored->lines[0].returned_quantity == 1);
    CHECK(stored->lines[0].refunded == 174);
    CHECK(stored->lines[1].returned_quantity == 0);
    CHECK(stored->lines[2].line.quantity().weight_grams() == 1250);
    CHECK(stored->points_reversed == 1);
    CHECK_FALSE(store.find_sale("S0042-T03-999999").has_value());
    const auto purchase = store.find_purchase_event("S0042-T03-000001");
    REQUIRE(purchase.has_value());
    CHECK(purchase->purchase().lines_size() == 3);
}

TEST_CASE("receipt and customer numbers count per terminal, across reopen") {
    TempDir dir;
    {
        LocalStore store = open_store(dir);
        CHECK(store.next_number("sale_number") == 1);
        CHECK(store.next_number("sale_number") == 2);
        CHECK(store.next_number("return_number") == 1);
    }
    LocalStore store = open_store(dir);
    CHECK(store.next_number("sale_number") == 3);
    CHECK(store.next_number("customer_number") == 1);
    CHECK_THROWS_WITH(store.next_number("nothing"), Catch::Contains("counter nothing is missing"));
}

TEST_CASE(
    "customers from head office are kept without contact details and found by the keyed hash of phone or "
    "e-mail") {
    TempDir dir;
    LocalStore store = open_store(dir);
    const std::string key(32, '\x5a');
    loyalty::v1::CatalogDelta delta;
    delta.set_from_version(0);
    delta.set_to_version(3);
    delta.set_full_resync(true);
    delta.mutable_contact_key()->set_key(key);
    delta.mutable_contact_key()->set_since_version(2);
    auto* alice = delta.add_customers();
    alice->set_customer_id("S0009-T01-TAG01-C000001");
    alice->add_loyalty_cards("6036000000123450");
    alice->set_display_name("Alice A.");
    alice->set_birthday_month(7);
    alice->set_birthday_day(14);
    alice->set_phone_key(domain::contact_lookup_key(key, domain::ContactKind::phone, "+49301234567"));
    alice->set_email_key(domain::contact_lookup_key(key, domain::ContactKind::email, "alice@example.com"));
    // From an older head office: contact details that the till must not keep.
    auto* bob = delta.add_customers();
    bob->set_customer_id("S0009-T01-TAG01-C000002");
    bob->add_loyalty_cards("6036000000000013");
    bob->mutable_contact()->set_given_name("Bob");
    bob->mutable_contact()->set_family_name("Baker");
    bob->mutable_contact()->set_email("bob@example.com");
    bob->mutable_contact()->set_phone("+44 20 7946 0958");
    store.apply_catalog({delta}, nullptr);
    CHECK(store.contact_key() == key);

    CustomerDirectory directory(store);
    const auto by_phone = directory.find_by_phone("+49 30 123 4567");
    REQUIRE(by_phone.size() == 1);
    CHECK(by_phone[0].customer_id == "S0009-T01-TAG01-C000001");
    CHECK(by_phone[0].display_name() == "Alice A.");
    CHECK(by_phone[0].birthday_month == 7);
    CHECK(directory.find_by_email(" ALICE@example.com").size() == 1);
    CHECK(directory.find_by_email("bob@example.com").size() == 1);
    CHECK(directory.find_by_phone("+442079460958").size() == 1);
    CHECK(directory.find_by_card("6036000000000013")->display_name() == "Bob B.");
    CHECK(directory.find_by_phone("+49301234568").empty());
    CHECK(count(store,
                "SELECT count(*) FROM customers WHERE email IS NOT NULL OR phone IS NOT NULL OR "
                "family_name IS NOT NULL OR given_name IS NOT NULL") == 0);
    store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const std::string bytes = loyalty::test::read_file(dir / "data/terminal.db");
    for (const char* clear : {"bob@example.com", "Baker", "7946", "alice@example.com", "1234567"})
        CHECK(bytes.find(clear) == std::string::npos);
}

TEST_CASE("the v9 migration removes the contact details of customers enrolled elsewhere from the file's bytes") {
    TempDir dir;
    {
        LocalStore old(LocalStoreOptions{.data_dir = dir / "data", .schema_target = 8});
        old.database().exec(R"sql(
            INSERT INTO customers (customer_id, given_name, family_name, email, phone, birthday, origin, updated_at)
            VALUES ('S0009-T01-TAG01-C000001', 'Alice', 'Archer', 'alice.archer@example.com', '+49301234567',
                    '1990-07-14', 'head_office', 1),
                   ('S0042-T03-TAG01-C000001', 'Jane', 'Doe', 'jane.doe@example.com', '+4930765432',
                    '1985-01-02', 'enrolled_here', 1);
            INSERT INTO customer_cards (loyalty_card, customer_id) VALUES ('6036000000123450', 'S0009-T01-TAG01-C000001');
            UPDATE catalog_versions SET version = 42 WHERE component = 'catalog';
        )sql");
    }
    // The WAL of the old release holds the rows too: opening migrates, rewrites and truncates.
    LocalStore store = open_store(dir);
    CHECK(store.schema_version() == 9);
    CHECK(store.catalog_version() == 0);  // a full resync brings the keys
    CustomerDirectory directory(store);
    const auto alice = directory.find_by_card("6036000000123450");
    REQUIRE(alice.has_value());
    CHECK(alice->display_name() == "Alice A.");
    CHECK(alice->birthday_month == 7);
    CHECK(store.database().query_text("SELECT birthday FROM customers WHERE origin = 'head_office'") == "--07-14");
    std::string bytes = loyalty::test::read_file(dir / "data/terminal.db");
    if (std::filesystem::exists(dir / "data/terminal.db-wal"))
        bytes += loyalty::test::read_file(dir / "data/terminal.db-wal");
    for (const char* clear : {"alice.archer@example.com", "+49301234567", "Archer", "1990-07-14"})
        CHECK(bytes.find(clear) == std::string::npos);
    CHECK(bytes.find("jane.doe@example.com") != std::string::npos);  // enrolled here: the till's own record
}
