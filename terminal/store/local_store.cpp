#include "terminal/store/local_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "common/random_text.hpp"
#include "common/sqlite/migrations.hpp"
#include "proto/event_kind.hpp"
#include "terminal/store/schema.hpp"

namespace loyalty::terminal {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail_data_dir(const fs::path& dir, std::string_view what, int err) {
    throw StoreError("data dir " + dir.string() + ": " + std::string{what} + ": " + std::strerror(err));
}

// Creates the data dir if needed and makes it 0700; creates the database file 0600 (SQLite gives
// its -wal and -shm files the database file's mode).
fs::path prepare_files(const fs::path& data_dir) {
    if (data_dir.empty()) throw StoreError("data dir is not set");
    std::error_code ec;
    if (fs::exists(fs::symlink_status(data_dir, ec)) && !fs::is_directory(data_dir, ec)) {
        throw StoreError("data dir " + data_dir.string() + " exists but is not a directory");
    }
    fs::create_directories(data_dir, ec);
    if (ec) fail_data_dir(data_dir, "cannot create it", ec.value());
    if (::chmod(data_dir.c_str(), 0700) != 0) fail_data_dir(data_dir, "cannot make it private (0700)", errno);

    fs::path db_path = data_dir / LocalStore::k_database_file;
    const int fd = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) fail_data_dir(data_dir, "cannot open " + db_path.filename().string(), errno);
    const int rc = ::fchmod(fd, 0600);
    const int chmod_errno = errno;
    ::close(fd);
    if (rc != 0) fail_data_dir(data_dir, "cannot make the database private (0600)", chmod_errno);
    // A WAL or shared-memory file left by an earlier run keeps its own mode: tighten it too.
    for (const char* suffix : {"-wal", "-shm"}) {
        const fs::path side = data_dir / (std::string{LocalStore::k_database_file} + suffix);
        if (fs::exists(side, ec) && ::chmod(side.c_str(), 0600) != 0) {
            fail_data_dir(data_dir, "cannot make " + side.filename().string() + " private (0600)", errno);
        }
    }
    return db_path;
}

void check_integrity(sqlite::Database& db) {
    sqlite::Statement check = db.prepare("PRAGMA quick_check(5)");
    std::string problems;
    while (check.step()) {
        const std::string row = check.column_text(0);
        if (row == "ok") return;
        problems += problems.empty() ? row : "; " + row;
    }
    throw StoreError("database " + db.path().string() + " failed its integrity check (" + problems +
                     "); loyaltyd will not write to it: move it aside and restore the terminal from head office");
}

// The event's kind, or StoreError for an event with no body.
std::string_view kind_of(const v1::Event& event) {
    const std::string_view kind = event_kind(event);
    if (kind.empty()) throw StoreError("event has no body (purchase, void, return, enrollment or consent)");
    return kind;
}

void bind_quantity(sqlite::Statement& stmt, int units_index, const v1::Quantity& quantity) {
    if (quantity.has_units()) {
        stmt.bind(units_index, quantity.units()).bind(units_index + 1, nullptr);
    } else if (quantity.has_weight_grams()) {
        stmt.bind(units_index, nullptr).bind(units_index + 1, quantity.weight_grams());
    } else {
        throw StoreError("line has neither units nor a weight");
    }
}

// When the event happened by the terminal's clock, or now if it carries no time.
std::int64_t event_time_ms(const v1::Event& event) {
    if (!event.header().has_terminal_time()) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
    }
    return event.header().terminal_time().seconds() * 1000 + event.header().terminal_time().nanos() / 1'000'000;
}

void read_quantity(const sqlite::Statement& stmt, int units_index, v1::Quantity& quantity) {
    if (!stmt.column_is_null(units_index)) {
        quantity.set_units(stmt.column_int64(units_index));
    } else {
        quantity.set_weight_grams(stmt.column_int64(units_index + 1));
    }
}

// A sale line from a row whose first eight columns are line_no, gtin, description, department,
// units, weight_grams, unit_price, line_total (sale_lines and open_basket_lines alike).
void read_sale_line(const sqlite::Statement& row, const std::string& currency, v1::SaleLine& line) {
    line.set_line_no(static_cast<std::uint32_t>(row.column_int64(0)));
    line.set_gtin(row.column_text(1));
    line.set_description(row.column_text(2));
    line.set_department(row.column_text(3));
    read_quantity(row, 4, *line.mutable_quantity());
    line.mutable_unit_price()->set_minor_units(row.column_int64(6));
    line.mutable_unit_price()->set_currency(currency);
    line.mutable_line_total()->set_minor_units(row.column_int64(7));
    line.mutable_line_total()->set_currency(currency);
}

}  // namespace

std::optional<std::string> birthday_text(const v1::ContactDetails& contact) {
    if (!contact.has_birthday()) return std::nullopt;
    const v1::Date& d = contact.birthday();
    char text[48];
    if (d.year() > 0) {
        std::snprintf(text, sizeof text, "%04d-%02d-%02d", d.year(), d.month(), d.day());
    } else {
        std::snprintf(text, sizeof text, "--%02d-%02d", d.month(), d.day());
    }
    return text;
}

LocalStore::LocalStore(const LocalStoreOptions& options)
    : db_(prepare_files(options.data_dir)), terminal_id_(options.terminal_id), store_id_(options.store_id) {
    try {
        db_.exec("PRAGMA busy_timeout = 5000");
        if (db_.query_text("PRAGMA journal_mode = WAL") != "wal") {
            throw StoreError("database " + db_.path().string() + ": the file system does not support WAL mode");
        }
        db_.exec("PRAGMA synchronous = FULL");
        db_.exec("PRAGMA foreign_keys = ON");
        db_.exec("PRAGMA journal_size_limit = 4194304");
        if (options.disk_budget_bytes > 0) {
            const std::int64_t page_size = db_.query_int64("PRAGMA page_size").value_or(4096);
            const auto pages = static_cast<std::int64_t>(options.disk_budget_bytes) / page_size;
            db_.exec("PRAGMA max_page_count = " + std::to_string(std::max<std::int64_t>(pages, 1)));
        }
        // Deleted rows are overwritten, not left in free pages: customers forgotten or minimised
        // leave no bytes behind.
        db_.exec("PRAGMA secure_delete = ON");
        check_integrity(db_);
        const int before = sqlite::schema_version(db_);
        sqlite::migrate(db_, terminal_migrations(), options.schema_target);
        if (before > 0 && before < 9 && sqlite::schema_version(db_) >= 9) {
            // The contact details v9 removed must leave the file (and its WAL) as well.
            db_.exec("VACUUM");
            db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        if (sqlite::schema_version(db_) >= 8) {
            id_tag_ = db_.query_text("SELECT id_tag FROM identity WHERE id = 1").value_or("");
            if (id_tag_.empty()) renew_id_tag();
        }
    } catch (const sqlite::SchemaError& e) {
        throw StoreError(e.what());
    } catch (const sqlite::Error& e) {
        throw StoreError("database " + db_.path().string() + " cannot be opened: " + e.what());
    }
}

int LocalStore::schema_version() {
    return sqlite::schema_version(db_);
}

// ---- events ----------------------------------------------------------------------------------------

std::uint64_t LocalStore::append_to_outbox(v1::Event& event, std::string_view kind) {
    v1::EventHeader& header = *event.mutable_header();
    if (header.terminal_id().empty()) header.set_terminal_id(terminal_id_);
    if (header.store_id().empty()) header.set_store_id(store_id_);
    if (header.terminal_id().empty()) throw StoreError("event has no terminal id");
    if (!terminal_id_.empty() && (header.terminal_id() != terminal_id_ || header.store_id() != store_id_)) {
        throw StoreError("event names terminal " + header.terminal_id() + " of store " + header.store_id() +
                         ", but this is terminal " + terminal_id_ + " of store " + store_id_);
    }
    sqlite::Statement& next =
        db_.cached("UPDATE counters SET value = value + 1 WHERE name = 'outbox_sequence' RETURNING value");
    if (!next.step()) throw StoreError("outbox sequence counter is missing");
    const auto sequence = static_cast<std::uint64_t>(next.column_int64(0));
    next.reset();

    event.mutable_header()->set_sequence(sequence);
    std::string body;
    if (!event.SerializeToString(&body)) throw StoreError("event could not be serialized");
    db_.cached("INSERT INTO outbox (sequence, kind, body, created_at) VALUES (?, ?, ?, ?)")
        .bind(1, static_cast<std::int64_t>(sequence))
        .bind(2, kind)
        .bind_blob(3, body)
        .bind(4, to_unix_ms(Clock::now()))
        .run();
    return sequence;
}

void LocalStore::insert_sale_rows(const v1::Event& event) {
    const v1::PurchaseEvent& sale = event.purchase();
    const std::int64_t completed_at = event_time_ms(event);
    db_.cached(
           "INSERT INTO sales (sale_id, sequence, cashier_id, loyalty_card, customer_id, completed_at, currency, "
           "subtotal, discount_total, total, points_earned, points_redeemed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind_all(sale.sale_id(), static_cast<std::int64_t>(event.header().sequence()), event.header().cashier_id(),
                  sqlite::null_if_empty(sale.loyalty_card()), sqlite::null_if_empty(sale.customer_id()), completed_at,
                  sale.total().currency(), sale.subtotal().minor_units(), sale.discount_total().minor_units(),
                  sale.total().minor_units(), sale.points().earned(), sale.points().redeemed())
        .run();

    for (const v1::SaleLine& line : sale.lines()) {
        sqlite::Statement& insert = db_.cached(
            "INSERT INTO sale_lines (sale_id, line_no, gtin, description, department, units, weight_grams, "
            "unit_price, line_total) VALUES (?,?,?,?,?,?,?,?,?)");
        insert.bind_all(sale.sale_id(), static_cast<std::int64_t>(line.line_no()), line.gtin(), line.description(),
                        line.department());
        bind_quantity(insert, 6, line.quantity());
        insert.bind(8, line.unit_price().minor_units()).bind(9, line.line_total().minor_units()).run();
    }
    std::int64_t discount_no = 0;
    for (const v1::DiscountLine& discount : sale.discounts()) {
        ++discount_no;
        db_.cached(
               "INSERT INTO sale_discounts (sale_id, discount_no, offer_id, receipt_text, amount, coupon_code) "
               "VALUES (?,?,?,?,?,?)")
            .bind_all(sale.sale_id(), discount_no, discount.offer_id(), discount.receipt_text(),
                      discount.amount().minor_units(), sqlite::null_if_empty(discount.coupon_code()))
            .run();
        for (const v1::DiscountTarget& target : discount.targets()) {
            db_.cached(
                   "INSERT INTO sale_discount_targets (sale_id, discount_no, line_no, units, amount) "
                   "VALUES (?,?,?,?,?)")
                .bind_all(sale.sale_id(), discount_no, static_cast<std::int64_t>(target.line_no()), target.units(),
                          target.amount().minor_units())
                .run();
        }
    }
    std::int64_t tender_no = 0;
    for (const v1::Tender& tender : sale.tenders()) {
        db_.cached("INSERT INTO sale_tenders (sale_id, tender_no, kind, amount) VALUES (?,?,?,?)")
            .bind_all(sale.sale_id(), ++tender_no, static_cast<std::int64_t>(tender.kind()),
                      tender.amount().minor_units())
            .run();
    }
    // Per-customer limits are enforced offline from these counts: one use per sale an offer applied to.
    if (!sale.customer_id().empty()) {
        std::vector<std::string> used;
        for (const v1::DiscountLine& discount : sale.discounts())
            used.push_back(discount.offer_id());
        for (const v1::PointsLine& line : sale.points().lines())
            used.push_back(line.offer_id());
        std::vector<std::string> counted;
        for (const std::string& offer_id : used) {
            if (offer_id.empty() || offer_id == "points") continue;
            if (std::find(counted.begin(), counted.end(), offer_id) != counted.end()) continue;
            counted.push_back(offer_id);
            db_.cached(
                   "INSERT INTO offer_redemptions (customer_id, offer_id, uses) VALUES (?, ?, 1) "
                   "ON CONFLICT (customer_id, offer_id) DO UPDATE SET uses = uses + 1")
                .bind_all(sale.customer_id(), offer_id)
                .run();
        }
    }
    for (const v1::PointsLine& line : sale.points().lines()) {
        if (line.offer_id().empty()) continue;
        db_.cached("INSERT OR IGNORE INTO sale_points_offers (sale_id, offer_id) VALUES (?, ?)")
            .bind_all(sale.sale_id(), line.offer_id())
            .run();
    }
    // A single-use code is spent with the sale that used it, for a discount or for points.
    std::vector<std::string> codes;
    for (const v1::DiscountLine& discount : sale.discounts())
        codes.push_back(discount.coupon_code());
    for (const v1::PointsLine& line : sale.points().lines())
        codes.push_back(line.coupon_code());
    for (const std::string& code : codes) {
        if (code.empty()) continue;
        db_.cached("INSERT OR IGNORE INTO revoked_codes (code, revoked_at) VALUES (?, ?)")
            .bind(1, code)
            .bind(2, to_unix_ms(Clock::now()))
            .run();
    }
    db_.cached("DELETE FROM open_basket WHERE sale_id = ?").bind(1, sale.sale_id()).run();
}

template <typename InsertRows>
std::uint64_t LocalStore::record(v1::Event& event, std::string_view kind, InsertRows&& insert_rows) {
    const std::uint64_t previous_sequence = event.header().sequence();
    try {
        sqlite::Transaction tx(db_);
        const std::uint64_t sequence = append_to_outbox(event, kind);
        insert_rows(event);
        tx.commit();
        return sequence;
    } catch (...) {
        event.mutable_header()->set_sequence(previous_sequence);
        throw;
    }
}

std::uint64_t LocalStore::record_purchase(v1::Event& event) {
    if (!event.has_purchase()) throw StoreError("record_purchase needs a purchase event");
    if (event.purchase().sale_id().empty()) throw StoreError("purchase event has no sale id");
    return record(event, "purchase", [this](const v1::Event& e) { insert_sale_rows(e); });
}

std::uint64_t LocalStore::record_return(v1::Event& event) {
    if (!event.has_sale_return()) throw StoreError("record_return needs a return event");
    if (event.sale_return().return_id().empty()) throw StoreError("return event has no return id");
    return record(event, "return", [this](const v1::Event& e) { insert_return_rows(e); });
}

std::uint64_t LocalStore::record_enrollment(v1::Event& event) {
    if (!event.has_enrollment()) throw StoreError("record_enrollment needs an enrollment event");
    if (event.enrollment().customer_id().empty() || event.enrollment().loyalty_card().empty()) {
        throw StoreError("enrollment event needs a customer id and a card");
    }
    return record(event, "enrollment", [this](const v1::Event& e) { insert_customer_rows(e); });
}

std::uint64_t LocalStore::record_event(v1::Event& event) {
    const std::string_view kind = kind_of(event);
    if (kind == "purchase") return record_purchase(event);
    if (kind == "return") return record_return(event);
    if (kind == "enrollment") return record_enrollment(event);
    if (kind == "void") {
        // Voiding the open basket closes it in the same transaction, so a crash cannot bring back a
        // basket whose void was already recorded.
        return record(event, kind, [this](const v1::Event& e) {
            db_.cached("DELETE FROM open_basket WHERE sale_id = ?").bind(1, e.void_sale().sale_id()).run();
        });
    }
    return record(event, kind, [](const v1::Event&) {});
}

void LocalStore::insert_return_rows(const v1::Event& event) {
    const v1::ReturnEvent& r = event.sale_return();
    std::string restored;
    for (const auto& offer : r.redemptions_restored()) {
        if (!restored.empty()) restored += '\n';
        restored += offer;
        // The customer may use the offer again: the sale it was used on came back.
        if (!r.customer_id().empty()) {
            db_.cached("UPDATE offer_redemptions SET uses = max(uses - 1, 0) WHERE customer_id = ? AND offer_id = ?")
                .bind_all(r.customer_id(), offer)
                .run();
        }
    }
    db_.cached(
           "INSERT INTO returns (return_id, original_sale_id, sequence, returned_at, refund_total, points_reversed, "
           "points_given_back, restored_offers) VALUES (?,?,?,?,?,?,?,?)")
        .bind_all(r.return_id(), r.original_sale_id(), static_cast<std::int64_t>(event.header().sequence()),
                  event_time_ms(event), r.refund_total().minor_units(), r.points_reversed(), r.points_given_back(),
                  restored)
        .run();
    for (const v1::ReturnedLine& line : r.lines()) {
        auto& insert = db_.cached(
            "INSERT INTO return_lines (return_id, original_line_no, units, weight_grams, refund) VALUES (?,?,?,?,?)");
        insert.bind(1, r.return_id()).bind(2, static_cast<std::int64_t>(line.original_line_no()));
        bind_quantity(insert, 3, line.quantity());
        insert.bind(5, line.refund().minor_units()).run();
    }
}

void LocalStore::insert_customer_rows(const v1::Event& event) {
    const v1::EnrollmentEvent& e = event.enrollment();
    const std::optional<std::string> birthday = birthday_text(e.contact());
    v1::ConsentEvent consents;
    *consents.mutable_changes() = e.consents();
    std::string consents_blob;
    consents.SerializeToString(&consents_blob);
    db_.cached(
           "INSERT INTO customers (customer_id, given_name, family_name, email, phone, birthday, tier, points_balance, "
           "consents, member_since, origin, updated_at) VALUES (?,?,?,?,?,?,?,0,?,?,'enrolled_here',?)")
        .bind_all(e.customer_id(), sqlite::null_if_empty(e.contact().given_name()),
                  sqlite::null_if_empty(e.contact().family_name()), sqlite::null_if_empty(e.contact().email()),
                  sqlite::null_if_empty(e.contact().phone()), birthday, static_cast<std::int64_t>(v1::TIER_STANDARD))
        .bind_blob(8, consents_blob)
        .bind(9, event_time_ms(event))
        .bind(10, to_unix_ms(Clock::now()))
        .run();
    db_.cached("INSERT INTO customer_cards (loyalty_card, customer_id) VALUES (?, ?)")
        .bind_all(e.loyalty_card(), e.customer_id())
        .run();
}

std::uint64_t LocalStore::next_number(std::string_view counter) {
    auto& next = db_.cached("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value");
    next.bind(1, counter);
    if (!next.step()) throw StoreError("counter " + std::string{counter} + " is missing");
    const auto value = static_cast<std::uint64_t>(next.column_int64(0));
    next.reset();
    return value;
}

std::optional<StoredSale> LocalStore::find_sale(const std::string& sale_id) {
    auto& header = db_.cached(
        "SELECT sequence, coalesce(loyalty_card, ''), coalesce(customer_id, ''), currency, subtotal, discount_total, "
        "total, points_earned, points_redeemed, "
        "(SELECT coalesce(sum(points_reversed), 0) FROM returns WHERE original_sale_id = sales.sale_id), "
        "(SELECT coalesce(sum(points_given_back), 0) FROM returns WHERE original_sale_id = sales.sale_id) "
        "FROM sales WHERE sale_id = ?");
    header.bind(1, sale_id);
    if (!header.step()) return std::nullopt;
    StoredSale sale;
    sale.sale_id = sale_id;
    sale.sequence = static_cast<std::uint64_t>(header.column_int64(0));
    sale.loyalty_card = header.column_text(1);
    sale.customer_id = header.column_text(2);
    sale.currency = header.column_text(3);
    sale.subtotal = header.column_int64(4);
    sale.discount_total = header.column_int64(5);
    sale.total = header.column_int64(6);
    sale.points_earned = header.column_int64(7);
    sale.points_redeemed = header.column_int64(8);
    sale.points_reversed = header.column_int64(9);
    sale.points_given_back = header.column_int64(10);
    header.reset();

    auto& lines = db_.cached(
        "SELECT l.line_no, l.gtin, l.description, l.department, l.units, l.weight_grams, l.unit_price, l.line_total, "
        "(SELECT coalesce(sum(t.amount), 0) FROM sale_discount_targets t "
        "  WHERE t.sale_id = l.sale_id AND t.line_no = l.line_no), "
        "(SELECT coalesce(sum(coalesce(r.units, r.weight_grams)), 0) FROM return_lines r JOIN returns USING "
        "(return_id) "
        "  WHERE returns.original_sale_id = l.sale_id AND r.original_line_no = l.line_no), "
        "(SELECT coalesce(sum(r.refund), 0) FROM return_lines r JOIN returns USING (return_id) "
        "  WHERE returns.original_sale_id = l.sale_id AND r.original_line_no = l.line_no) "
        "FROM sale_lines l WHERE l.sale_id = ? ORDER BY l.line_no");
    lines.bind(1, sale_id);
    while (lines.step()) {
        StoredSaleLine& stored = sale.lines.emplace_back();
        read_sale_line(lines, sale.currency, stored.line);
        stored.targeted_discount = lines.column_int64(8);
        stored.returned_quantity = lines.column_int64(9);
        stored.refunded = lines.column_int64(10);
    }
    lines.reset();

    auto& discounts = db_.cached(
        "SELECT d.offer_id, t.line_no FROM sale_discounts d LEFT JOIN sale_discount_targets t "
        "ON t.sale_id = d.sale_id AND t.discount_no = d.discount_no WHERE d.sale_id = ? AND d.offer_id <> 'points' "
        "ORDER BY d.discount_no, t.line_no");
    discounts.bind(1, sale_id);
    while (discounts.step()) {
        const std::string offer = discounts.column_text(0);
        if (sale.offers.empty() || sale.offers.back().first != offer)
            sale.offers.emplace_back(offer, std::vector<std::uint32_t>{});
        if (!discounts.column_is_null(1))
            sale.offers.back().second.push_back(static_cast<std::uint32_t>(discounts.column_int64(1)));
    }
    discounts.reset();
    // A points offer touched no line of its own: its use comes back with the whole sale.
    auto& points_offers = db_.cached("SELECT offer_id FROM sale_points_offers WHERE sale_id = ? ORDER BY offer_id");
    points_offers.bind(1, sale_id);
    while (points_offers.step()) {
        std::string offer = points_offers.column_text(0);
        const bool listed = std::any_of(sale.offers.begin(), sale.offers.end(),
                                        [&](const auto& entry) { return entry.first == offer; });
        if (!listed) sale.offers.emplace_back(std::move(offer), std::vector<std::uint32_t>{});
    }
    points_offers.reset();
    auto& restored =
        db_.cached("SELECT restored_offers FROM returns WHERE original_sale_id = ? AND restored_offers <> ''");
    restored.bind(1, sale_id);
    while (restored.step()) {
        const std::string list = restored.column_text(0);
        for (std::size_t start = 0; start < list.size();) {
            const std::size_t end = std::min(list.find('\n', start), list.size());
            sale.offers_restored.push_back(list.substr(start, end - start));
            start = end + 1;
        }
    }
    restored.reset();
    return sale;
}

std::optional<v1::Event> LocalStore::find_purchase_event(const std::string& sale_id) {
    auto& select =
        db_.cached("SELECT o.body FROM sales s JOIN outbox o ON o.sequence = s.sequence WHERE s.sale_id = ?");
    select.bind(1, sale_id);
    std::optional<v1::Event> event;
    if (select.step()) {
        event.emplace();
        if (!event->ParseFromString(select.column_blob(0))) event.reset();
    }
    select.reset();
    return event;
}

// ---- outbox ----------------------------------------------------------------------------------------

std::vector<OutboxEntry> LocalStore::unacked_events(std::uint64_t after_sequence, std::size_t limit) {
    sqlite::Statement& select = db_.cached(
        "SELECT sequence, kind, body, created_at FROM outbox WHERE acked_at IS NULL AND sequence > ? "
        "ORDER BY sequence LIMIT ?");
    select.bind(1, static_cast<std::int64_t>(after_sequence)).bind(2, static_cast<std::int64_t>(limit));
    std::vector<OutboxEntry> entries;
    while (select.step()) {
        entries.push_back(OutboxEntry{static_cast<std::uint64_t>(select.column_int64(0)), select.column_text(1),
                                      select.column_blob(2), from_unix_ms(select.column_int64(3))});
    }
    return entries;
}

void LocalStore::mark_acked(std::uint64_t through_sequence, Clock::time_point at) {
    db_.cached("UPDATE outbox SET acked_at = ? WHERE acked_at IS NULL AND sequence <= ?")
        .bind(1, to_unix_ms(at))
        .bind(2, static_cast<std::int64_t>(through_sequence))
        .run();
}

std::size_t LocalStore::reopen_after(std::uint64_t after_sequence) {
    db_.cached("UPDATE outbox SET acked_at = NULL WHERE acked_at IS NOT NULL AND sequence > ?")
        .bind(1, static_cast<std::int64_t>(after_sequence))
        .run();
    return static_cast<std::size_t>(db_.changes());
}

std::size_t LocalStore::prune_acked(Clock::time_point cutoff) {
    const std::uint64_t acked = acked_through();
    sqlite::Transaction tx(db_);
    db_.cached("DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at < ?").bind(1, to_unix_ms(cutoff)).run();
    const auto pruned = static_cast<std::size_t>(db_.changes());
    // Sales and returns past retention go too, once head office holds their events.
    db_.cached("DELETE FROM sales WHERE completed_at < ? AND sequence <= ?")
        .bind(1, to_unix_ms(cutoff))
        .bind(2, static_cast<std::int64_t>(acked))
        .run();
    db_.cached("DELETE FROM returns WHERE returned_at < ? AND sequence <= ?")
        .bind(1, to_unix_ms(cutoff))
        .bind(2, static_cast<std::int64_t>(acked))
        .run();
    tx.commit();
    return pruned;
}

std::uint64_t LocalStore::acked_through() {
    // Everything below the oldest unacknowledged event is acknowledged (or pruned after it was).
    // Two index lookups, whatever the backlog: this is on the path of every card read.
    const auto oldest_unacked = db_.query_int64("SELECT min(sequence) FROM outbox WHERE acked_at IS NULL");
    if (oldest_unacked) return static_cast<std::uint64_t>(*oldest_unacked) - 1;
    return last_sequence();
}

std::uint64_t LocalStore::last_sequence() {
    return static_cast<std::uint64_t>(
        db_.query_int64("SELECT value FROM counters WHERE name = 'outbox_sequence'").value_or(0));
}

OutboxStats LocalStore::outbox_stats() {
    OutboxStats stats;
    stats.last_sequence = last_sequence();
    stats.depth =
        static_cast<std::uint64_t>(db_.query_int64("SELECT count(*) FROM outbox WHERE acked_at IS NULL").value_or(0));
    stats.acked_through = acked_through();
    return stats;
}

std::size_t LocalStore::offer_count() {
    return static_cast<std::size_t>(db_.query_int64("SELECT count(*) FROM offers").value_or(0));
}

// ---- the open basket ---------------------------------------------------------------------------------

void LocalStore::begin_basket(const std::string& sale_id, const std::string& cashier_id, const std::string& currency,
                              Clock::time_point opened_at) {
    sqlite::Transaction tx(db_);
    db_.cached("DELETE FROM open_basket").run();
    db_.cached("INSERT INTO open_basket (id, sale_id, cashier_id, currency, opened_at) VALUES (1, ?, ?, ?, ?)")
        .bind_all(sale_id, cashier_id, currency, to_unix_ms(opened_at))
        .run();
    tx.commit();
}

void LocalStore::put_basket_line(const v1::SaleLine& line) {
    sqlite::Statement& upsert = db_.cached(
        "INSERT OR REPLACE INTO open_basket_lines (basket, line_no, gtin, description, department, units, "
        "weight_grams, unit_price, line_total) VALUES (1,?,?,?,?,?,?,?,?)");
    upsert.bind_all(static_cast<std::int64_t>(line.line_no()), line.gtin(), line.description(), line.department());
    bind_quantity(upsert, 5, line.quantity());
    upsert.bind(7, line.unit_price().minor_units()).bind(8, line.line_total().minor_units()).run();
}

void LocalStore::remove_basket_line(std::uint32_t line_no) {
    db_.cached("DELETE FROM open_basket_lines WHERE line_no = ?").bind(1, static_cast<std::int64_t>(line_no)).run();
}

void LocalStore::set_basket_customer(const std::string& loyalty_card, const std::string& customer_id) {
    db_.cached("UPDATE open_basket SET loyalty_card = ?, customer_id = ? WHERE id = 1")
        .bind(1, loyalty_card.empty() ? std::nullopt : std::optional{loyalty_card})
        .bind(2, customer_id.empty() ? std::nullopt : std::optional{customer_id})
        .run();
    if (db_.changes() != 1) throw StoreError("no open basket to link a customer to");
}

void LocalStore::set_basket_points_to_redeem(std::int64_t points) {
    db_.cached("UPDATE open_basket SET points_to_redeem = ? WHERE id = 1").bind(1, points).run();
    if (db_.changes() != 1) throw StoreError("no open basket to redeem points in");
}

void LocalStore::set_basket_coupons(const std::vector<std::string>& codes) {
    std::string joined;
    for (const auto& code : codes) {
        if (code.find('\n') != std::string::npos) throw StoreError("coupon code with a line break");
        if (!joined.empty()) joined += '\n';
        joined += code;
    }
    db_.cached("UPDATE open_basket SET coupon_codes = ? WHERE id = 1").bind(1, joined).run();
    if (db_.changes() != 1) throw StoreError("no open basket to apply coupons to");
}

std::optional<OpenBasket> LocalStore::open_basket() {
    sqlite::Statement& header = db_.cached(
        "SELECT sale_id, cashier_id, currency, opened_at, loyalty_card, customer_id, points_to_redeem, coupon_codes "
        "FROM open_basket");
    if (!header.step()) return std::nullopt;
    OpenBasket basket;
    basket.sale_id = header.column_text(0);
    basket.cashier_id = header.column_text(1);
    basket.currency = header.column_text(2);
    basket.opened_at = from_unix_ms(header.column_int64(3));
    basket.loyalty_card = header.column_text(4);
    basket.customer_id = header.column_text(5);
    basket.points_to_redeem = header.column_int64(6);
    const std::string codes = header.column_text(7);
    for (std::size_t start = 0; start < codes.size();) {
        const std::size_t end = std::min(codes.find('\n', start), codes.size());
        basket.coupon_codes.push_back(codes.substr(start, end - start));
        start = end + 1;
    }
    header.reset();

    sqlite::Statement& lines = db_.cached(
        "SELECT line_no, gtin, description, department, units, weight_grams, unit_price, line_total "
        "FROM open_basket_lines ORDER BY line_no");
    while (lines.step()) {
        read_sale_line(lines, basket.currency, basket.lines.emplace_back());
    }
    return basket;
}

void LocalStore::discard_open_basket() {
    db_.cached("DELETE FROM open_basket").run();
}

void LocalStore::apply_offer_changes(const std::vector<v1::Offer>& offers, const std::vector<std::string>& removed,
                                     const v1::PointsRules* rules) {
    sqlite::Transaction tx(db_);
    const std::int64_t now = to_unix_ms(Clock::now());
    for (const auto& offer : offers)
        store_offer(offer, now);
    for (const auto& id : removed)
        db_.cached("DELETE FROM offers WHERE offer_id = ?").bind(1, id).run();
    if (rules != nullptr) store_points_rules(*rules, now);
    tx.commit();
}

void LocalStore::store_offer(const v1::Offer& offer, std::int64_t now) {
    db_.cached("INSERT OR REPLACE INTO offers (offer_id, revision, body, updated_at) VALUES (?, ?, ?, ?)")
        .bind(1, offer.offer_id())
        .bind(2, static_cast<std::int64_t>(offer.revision()))
        .bind_blob(3, offer.SerializeAsString())
        .bind(4, now)
        .run();
}

void LocalStore::store_points_rules(const v1::PointsRules& rules, std::int64_t now) {
    db_.cached("INSERT OR REPLACE INTO points_rules (id, body, updated_at) VALUES (1, ?, ?)")
        .bind_blob(1, rules.SerializeAsString())
        .bind(2, now)
        .run();
}

std::vector<v1::Offer> LocalStore::load_offers() {
    auto& select = db_.cached("SELECT offer_id, body FROM offers ORDER BY offer_id");
    std::vector<v1::Offer> offers;
    while (select.step()) {
        v1::Offer& offer = offers.emplace_back();
        if (!offer.ParseFromString(select.column_blob(1))) {
            throw StoreError("offer " + select.column_text(0) + " in the cache cannot be read");
        }
    }
    return offers;
}

bool LocalStore::coupon_used(const std::string& code) {
    auto& select = db_.cached("SELECT 1 FROM revoked_codes WHERE code = ?");
    select.bind(1, code);
    const bool used = select.step();
    select.reset();
    return used;
}

v1::PointsRules LocalStore::load_points_rules() {
    auto& select = db_.cached("SELECT body FROM points_rules WHERE id = 1");
    v1::PointsRules rules;
    if (select.step() && !rules.ParseFromString(select.column_blob(0))) throw StoreError("points rules cannot be read");
    select.reset();
    return rules;
}

void LocalStore::renew_id_tag() {
    std::random_device random;
    std::string tag;
    do {
        tag = random_crockford(5, random);
    } while (tag == id_tag_);
    db_.cached("UPDATE identity SET id_tag = ? WHERE id = 1").bind(1, tag).run();
    id_tag_ = tag;
}

std::string LocalStore::database_id() {
    return db_.query_text("SELECT database_id FROM identity WHERE id = 1").value_or("");
}

std::string LocalStore::contact_key() {
    if (sqlite::schema_version(db_) < 9) return {};
    auto& select = db_.cached("SELECT key FROM contact_key WHERE id = 1");
    std::string key = select.step() ? select.column_blob(0) : std::string();
    select.reset();
    return key;
}

std::uint64_t LocalStore::catalog_version() {
    return static_cast<std::uint64_t>(
        db_.query_int64("SELECT version FROM catalog_versions WHERE component = 'catalog'").value_or(0));
}

}  // namespace loyalty::terminal
