// Privacy on generated data: a customer's export holds everything head office keeps about them;
// erasure deletes the personal data, keeps the figures under a pseudonym, reaches a till's cache
// through the catalog, and a late event from a till that had not heard of it never brings the
// customer back.
#include <catch2/catch.hpp>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "common/sqlite/database.hpp"
#include "hq/storage/storage.hpp"
#include "hq/synth/generator.hpp"
#include "terminal/store/local_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;

namespace {

std::int64_t count(const std::filesystem::path& db, const std::string& sql, const std::string& bound) {
    sqlite::Database check(db, sqlite::OpenMode::read_only);
    auto statement = check.prepare(sql);
    statement.bind(1, bound);
    return statement.step() ? statement.column_int64(0) : -1;
}

std::int64_t revenue(hq::Storage& storage) {
    std::int64_t total = 0;
    for (const auto& row : storage.report({.kind = hq::ReportKind::sales_by_store}).rows)
        total += std::stoll(row[5]);
    return total;
}

}  // namespace

TEST_CASE("export holds everything about one customer, erasure forgets them for good and the figures stay") {
    test::TempDir dir;
    const auto chain = hq::synth::generate({.seed = 9, .customers = 60, .days = 30, .profiling_consent_share = 1.0});
    auto storage = hq::open_sqlite_storage(dir / "hq.db");
    hq::synth::feed(*storage, chain);
    const auto& who = chain.customers.front();
    std::int64_t their_sales = 0;
    for (const v1::Event* e : chain.in_time_order())
        their_sales += e->has_purchase() && e->purchase().customer_id() == who.customer_id ? 1 : 0;
    REQUIRE(their_sales > 0);

    // The export.
    const auto json = storage->export_customer(who.customer_id);
    REQUIRE(json.has_value());
    google::protobuf::Struct exported;
    REQUIRE(google::protobuf::util::JsonStringToMessage(*json, &exported).ok());
    const auto& f = exported.fields();
    CHECK(
        f.at("customer").struct_value().fields().at("contact").struct_value().fields().at("givenName").string_value() ==
        who.contact.given_name());
    CHECK(f.at("sales").list_value().values_size() == their_sales);
    CHECK(f.at("cards").list_value().values(0).struct_value().fields().at("loyalty_card").string_value() ==
          who.loyalty_card);
    CHECK(f.at("consent_log").list_value().values_size() == 2);  // programme terms and profiling, at enrollment
    CHECK(f.at("points_ledger").list_value().values_size() == their_sales);
    CHECK(f.at("profile").list_value().values_size() == 1);
    const auto profile = storage->profile(who.customer_id);
    REQUIRE(profile->median_gap_days.has_value());
    CHECK(f.at("profile").list_value().values(0).struct_value().fields().at("median_gap_days").number_value() ==
          Approx(*profile->median_gap_days));  // a REAL stays a REAL
    CHECK(f.at("sale_lines").list_value().values_size() > 0);

    // A till that knows them.
    terminal::LocalStore till(
        terminal::LocalStoreOptions{.data_dir = dir / "till", .terminal_id = "S0001-T01", .store_id = "S0001"});
    till.apply_catalog(storage->catalog_since(0, 1 << 20), {});
    const auto till_db = dir / "till" / "terminal.db";
    REQUIRE(count(till_db, "SELECT count(*) FROM customers WHERE customer_id = ?", who.customer_id) == 1);
    const std::int64_t revenue_before = revenue(*storage);
    const std::uint64_t version_before = storage->catalog_version();

    // Erased.
    const auto erased = storage->erase_customer(who.customer_id);
    REQUIRE(erased.has_value());
    CHECK_FALSE(erased->already);
    CHECK(erased->sales == static_cast<std::size_t>(their_sales));
    const auto db = dir / "hq.db";
    CHECK_FALSE(storage->customer(who.customer_id).has_value());
    CHECK_FALSE(storage->export_customer(who.customer_id).has_value());
    CHECK_FALSE(storage->profile(who.customer_id).has_value());
    CHECK(count(db, "SELECT count(*) FROM customer_cards WHERE loyalty_card = ?", who.loyalty_card) == 0);
    CHECK(count(db, "SELECT count(*) FROM sales WHERE customer_id = ?", who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM points_ledger WHERE customer_id = ?", who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM consent_log WHERE customer_id = ?", who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM customers WHERE given_name IS NOT NULL AND customer_id = ?",
                who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM sales WHERE customer_id = ?", erased->pseudonym) == their_sales);
    CHECK(revenue(*storage) == revenue_before);  // the figures stay
    CHECK(storage->erase_customer(who.customer_id)->already);
    CHECK_FALSE(storage->erase_customer("nobody").has_value());

    // The till forgets them through the catalog.
    const auto delta = storage->catalog_since(version_before, 1 << 20);
    till.apply_catalog(delta, {});
    CHECK(count(till_db, "SELECT count(*) FROM customers WHERE customer_id = ?", who.customer_id) == 0);
    CHECK(count(till_db, "SELECT count(*) FROM customer_cards WHERE loyalty_card = ?", who.loyalty_card) == 0);
    // A new till's full resync does not bring them, and repeats the erasure.
    bool repeated = false;
    for (const auto& part : storage->catalog_since(0, 1 << 20)) {
        for (const auto& c : part.customers())
            CHECK(c.customer_id() != who.customer_id);
        for (const auto& r : part.revocations())
            repeated |= r.kind() == v1::REVOCATION_KIND_CUSTOMER_ERASED && r.customer_id() == who.customer_id;
    }
    CHECK(repeated);

    // Late events from a till that had not heard of it: a sale, then an enrollment and a consent.
    const std::string terminal = chain.terminals[0][0];
    std::uint64_t next = chain.events.at(terminal).size();
    v1::EventBatch late;
    auto header = [&](v1::Event& e) {
        e.mutable_header()->set_terminal_id(terminal);
        e.mutable_header()->set_store_id(chain.stores[0]);
        e.mutable_header()->set_sequence(++next);
    };
    v1::Event& sale = *late.add_events();
    sale = chain.events.at(terminal).back();
    header(sale);
    sale.mutable_purchase()->set_sale_id(terminal + "-LATE-000001");
    sale.mutable_purchase()->set_customer_id(who.customer_id);
    sale.mutable_purchase()->set_loyalty_card(who.loyalty_card);
    sale.mutable_purchase()->mutable_points()->set_earned(9);
    v1::Event& enrollment = *late.add_events();
    header(enrollment);
    enrollment.mutable_enrollment()->set_customer_id(who.customer_id);
    enrollment.mutable_enrollment()->set_loyalty_card(who.loyalty_card);
    enrollment.mutable_enrollment()->mutable_contact()->set_given_name(who.contact.given_name());
    v1::Event& consent = *late.add_events();
    header(consent);
    consent.mutable_consent()->set_customer_id(who.customer_id);
    consent.mutable_consent()->add_changes()->set_purpose(v1::CONSENT_PURPOSE_PROFILING);
    {
        const auto write = storage->begin_journal();
        write->store_batch(terminal, late, hq::Clock::now());
        write->commit();
    }
    while (storage->apply_stored(100) > 0) {
    }
    CHECK_FALSE(storage->customer(who.customer_id).has_value());
    CHECK(count(db, "SELECT count(*) FROM customer_cards WHERE loyalty_card = ?", who.loyalty_card) == 0);
    CHECK(count(db, "SELECT count(*) FROM customers WHERE given_name IS NOT NULL AND customer_id = ?",
                who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM sales WHERE customer_id = ?", erased->pseudonym) == their_sales + 1);
    CHECK(count(db, "SELECT count(*) FROM points_ledger WHERE customer_id = ?", who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM conflicts WHERE kind = 'erased_customer_event' AND customer_id = ?",
                erased->pseudonym) == 2);
    CHECK(count(db, "SELECT count(*) FROM conflicts WHERE detail LIKE '%' || ? || '%'", who.contact.given_name()) == 0);
    CHECK(count(db, "SELECT count(*) FROM conflicts WHERE detail LIKE '%' || ? || '%'", who.customer_id) == 0);
    CHECK(count(db, "SELECT count(*) FROM revocations WHERE customer_id = ? AND kind != 4", who.customer_id) == 0);

    // The journal (events as the tills sent them) no longer names them either, late events included.
    CHECK(erased->journal_events >= static_cast<std::size_t>(their_sales) + 1);  // their sales and enrollment
    sqlite::Database check(db, sqlite::OpenMode::read_only);
    auto bodies = check.prepare("SELECT body FROM events");
    std::size_t events = 0, under_pseudonym = 0;
    while (bodies.step()) {
        v1::Event e;
        REQUIRE(e.ParseFromString(bodies.column_blob(0)));
        ++events;
        const std::string text = e.DebugString();
        CHECK(text.find(who.customer_id) == std::string::npos);
        CHECK(text.find(who.loyalty_card) == std::string::npos);
        CHECK(text.find(who.contact.email()) == std::string::npos);
        under_pseudonym += text.find(erased->pseudonym) != std::string::npos ? 1 : 0;
    }
    CHECK(events == chain.event_count() + 3);
    CHECK(under_pseudonym >= static_cast<std::size_t>(their_sales) + 3);
}
