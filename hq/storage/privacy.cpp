#include "hq/storage/privacy.hpp"

#include <algorithm>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <random>

#include "hq/rules/redaction.hpp"

namespace loyalty::hq {
namespace {

constexpr std::string_view k_schema = R"sql(
ALTER TABLE customers ADD COLUMN erased_at INTEGER;
ALTER TABLE customers ADD COLUMN pseudonym TEXT;
CREATE INDEX conflicts_customer ON conflicts (customer_id) WHERE customer_id != '';
CREATE INDEX redeemed_codes_sale ON redeemed_codes (terminal_id, sale_id);
)sql";

using google::protobuf::Value;

std::string iso_time(std::int64_t ms) {
    return google::protobuf::util::TimeUtil::ToString(google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms));
}

Value text(const std::string& s) {
    Value v;
    v.set_string_value(s);
    return v;
}

Value number(std::int64_t n) {
    Value v;
    v.set_number_value(static_cast<double>(n));
    return v;
}

// The rows of `statement` (bound already) as a list of objects keyed by `names`; a column whose
// name ends in "_at" is a time (ISO 8601), NULL stays null.
Value rows(sqlite::Statement& statement, const std::vector<std::string>& names) {
    Value list;
    list.mutable_list_value();
    while (statement.step()) {
        auto& fields = *list.mutable_list_value()->add_values()->mutable_struct_value()->mutable_fields();
        for (std::size_t i = 0; i < names.size(); ++i) {
            const int column = static_cast<int>(i);
            const std::string& name = names[i];
            if (statement.column_is_null(column)) {
                fields[name].set_null_value(google::protobuf::NULL_VALUE);
            } else if (name.size() > 3 && name.ends_with("_at")) {
                fields[name] = text(iso_time(statement.column_int64(column)));
            } else if (statement.column_is_text(column)) {
                fields[name] = text(statement.column_text(column));
            } else if (statement.column_is_real(column)) {
                fields[name].set_number_value(statement.column_real(column));
            } else {
                fields[name] = number(statement.column_int64(column));
            }
        }
    }
    statement.reset();
    return list;
}

std::string random_pseudonym() {
    std::random_device random;
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string id = "erased-";
    for (int i = 0; i < 16; ++i)
        id += k_hex[random() % 16];
    return id;
}

}  // namespace

std::string_view Privacy::schema() {
    return k_schema;
}

std::optional<std::string> Privacy::pseudonym(const std::string& customer_id) {
    if (customer_id.empty()) return std::nullopt;
    auto& read = db_.cached("SELECT pseudonym FROM customers WHERE customer_id = ? AND erased_at IS NOT NULL");
    read.bind(1, customer_id);
    std::optional<std::string> found;
    if (read.step()) found = read.column_text(0);
    read.reset();
    return found;
}

std::optional<std::string> Privacy::export_json(const std::string& id, const std::string& customer_json) {
    if (pseudonym(id)) return std::nullopt;
    sqlite::Transaction snapshot(db_, sqlite::Transaction::Kind::deferred);  // one consistent view
    google::protobuf::Struct out;
    auto& f = *out.mutable_fields();
    f["exported_at"] = text(iso_time(sqlite::to_unix_ms(std::chrono::system_clock::now())));
    if (!google::protobuf::util::JsonStringToMessage(customer_json, &f["customer"]).ok()) return std::nullopt;
    auto query = [&](const char* sql, const std::vector<std::string>& names) {
        auto statement = db_.prepare(sql);
        statement.bind(1, id);
        return rows(statement, names);
    };
    f["cards"] = query("SELECT loyalty_card, blocked FROM customer_cards WHERE customer_id = ? ORDER BY loyalty_card",
                       {"loyalty_card", "blocked"});
    f["consent_log"] = query(
        "SELECT purpose, granted, recorded_at, source, terminal_id FROM consent_log WHERE customer_id = ? ORDER BY id",
        {"purpose", "granted", "recorded_at", "source", "terminal_id"});
    f["points_ledger"] =
        query("SELECT at, delta, reason, balance, terminal_id FROM points_ledger WHERE customer_id = ? ORDER BY id",
              {"booked_at", "delta", "reason", "balance", "terminal_id"});
    f["sales"] = query(
        "SELECT sale_id, terminal_id, store_id, sold_at, currency, subtotal, discount_total, total, points_earned, "
        "points_redeemed FROM sales WHERE customer_id = ? ORDER BY sold_at, id",
        {"sale_id", "terminal_id", "store_id", "sold_at", "currency", "subtotal", "discount_total", "total",
         "points_earned", "points_redeemed"});
    f["sale_lines"] = query(
        "SELECT s.sale_id, l.line_no, l.gtin, l.description, l.department, l.units, l.weight_grams, l.line_total "
        "FROM sales s JOIN sale_lines l ON l.sale = s.id WHERE s.customer_id = ? ORDER BY s.sold_at, s.id, l.line_no",
        {"sale_id", "line_no", "gtin", "description", "department", "units", "weight_grams", "line_total"});
    f["returns"] = query(
        "SELECT return_id, original_sale_id, terminal_id, store_id, returned_at, refund_total, points_reversed, "
        "points_given_back FROM returns WHERE customer_id = ? ORDER BY returned_at, id",
        {"return_id", "original_sale_id", "terminal_id", "store_id", "returned_at", "refund_total", "points_reversed",
         "points_given_back"});
    f["offer_assignments"] = query(
        "SELECT offer_id, code, uses_left, expires_at, assigned_at, withdrawn FROM assignments WHERE customer_id = ? "
        "ORDER BY offer_id, code",
        {"offer_id", "code", "uses_left", "expires_at", "assigned_at", "withdrawn"});
    f["profile"] = query(
        "SELECT visits, spend, refunds, lines, first_visit, last_visit, median_gap, recency, frequency, monetary, "
        "segment, churn_ratio FROM profiles WHERE customer_id = ?",
        {"visits", "spend", "refunds", "lines", "first_visit_ms", "last_visit_ms", "median_gap_days", "recency",
         "frequency", "monetary", "segment", "churn_ratio"});
    f["profile_departments"] =
        query("SELECT department, spend, lines FROM profile_departments WHERE customer_id = ? ORDER BY spend DESC",
              {"department", "spend", "lines"});
    f["profile_products"] = query(
        "SELECT gtin, baskets, spend, last_bought FROM profile_products WHERE customer_id = ? ORDER BY baskets DESC",
        {"gtin", "baskets", "spend", "last_bought_ms"});
    f["profile_months"] = query("SELECT month, spend, visits FROM customer_months WHERE customer_id = ? ORDER BY month",
                                {"month", "spend", "visits"});
    f["campaigns"] =
        query("SELECT campaign_id, control, chosen_at FROM campaign_members WHERE customer_id = ? ORDER BY chosen_at",
              {"campaign_id", "control_group", "chosen_at"});
    f["conflicts"] = query(
        "SELECT kind, detected_at, store_id, terminal_id, detail FROM conflicts WHERE customer_id = ? ORDER BY id",
        {"kind", "detected_at", "store_id", "terminal_id", "detail"});
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(out, &json, options);
    return json;
}

std::vector<std::string> Privacy::cards(const std::string& customer_id) {
    auto& read = db_.cached("SELECT loyalty_card FROM customer_cards WHERE customer_id = ?");
    read.bind(1, customer_id);
    std::vector<std::string> out;
    while (read.step())
        out.push_back(read.column_text(0));
    read.reset();
    return out;
}

std::size_t Privacy::redact_journal(const std::string& customer_id, const std::vector<std::string>& cards,
                                    const std::string& pseudonym,
                                    const std::function<void(const std::function<void()>&)>& write) {
    constexpr std::int64_t k_chunk = 5000;
    std::size_t rewritten = 0;
    std::int64_t after = 0;
    for (bool more = true; more;) {
        write([&] {
            auto& read =
                db_.cached("SELECT id, body FROM events WHERE id > ? AND kind != 'unknown' ORDER BY id LIMIT ?");
            read.bind_all(after, k_chunk);
            std::vector<std::pair<std::int64_t, std::string>> changed;
            std::int64_t seen = 0;
            v1::Event event;
            while (read.step()) {
                ++seen;
                after = read.column_int64(0);
                if (event.ParseFromString(read.column_blob(1)) && rules::redact(event, customer_id, cards, pseudonym))
                    changed.emplace_back(after, event.SerializeAsString());
            }
            read.reset();
            for (const auto& [id, body] : changed)
                db_.cached("UPDATE events SET body = ? WHERE id = ?").bind_blob(1, body).bind(2, id).run();
            rewritten += changed.size();
            more = seen == k_chunk;
        });
    }
    return rewritten;
}

std::optional<Erasure> Privacy::erase(const std::string& id, std::int64_t now_ms,
                                      const std::function<std::int64_t()>& catalog_version) {
    auto& find = db_.cached("SELECT erased_at IS NOT NULL, pseudonym FROM customers WHERE customer_id = ?");
    find.bind(1, id);
    if (!find.step()) {
        find.reset();
        return std::nullopt;
    }
    Erasure erasure;
    erasure.already = find.column_int64(0) != 0;
    erasure.pseudonym = find.column_text(1);
    find.reset();
    if (erasure.already) return erasure;
    erasure.pseudonym = random_pseudonym();
    const std::int64_t version = catalog_version();
    auto pseudonymise = [&](const char* sql) {
        db_.cached(sql).bind_all(erasure.pseudonym, id).run();
        return static_cast<std::size_t>(db_.changes());
    };
    erasure.sales = pseudonymise("UPDATE sales SET customer_id = ? WHERE customer_id = ?");
    erasure.returns = pseudonymise("UPDATE returns SET customer_id = ? WHERE customer_id = ?");
    pseudonymise("UPDATE points_ledger SET customer_id = ? WHERE customer_id = ?");
    pseudonymise("UPDATE conflicts SET customer_id = ? WHERE customer_id = ?");
    // Campaign membership stays for the uplift report, under the pseudonym like the sales.
    pseudonymise("UPDATE campaign_members SET customer_id = ? WHERE customer_id = ?");
    db_.cached("UPDATE conflicts SET detail = replace(detail, ?2, ?1) WHERE instr(detail, ?2) > 0")
        .bind_all(erasure.pseudonym, id)
        .run();
    // Used codes and withdrawn assignments need no customer; the erasure's own revocation does.
    db_.cached("UPDATE revocations SET customer_id = '' WHERE customer_id = ?").bind(1, id).run();
    for (const char* sql :
         {"DELETE FROM customer_cards WHERE customer_id = ?", "DELETE FROM consent_log WHERE customer_id = ?",
          "DELETE FROM assignments WHERE customer_id = ?"}) {
        db_.cached(sql).bind(1, id).run();
    }
    profiles_.forget(id);
    db_.cached(
           "UPDATE customers SET given_name = NULL, family_name = NULL, email = NULL, phone = NULL, birthday = NULL, "
           "consents = NULL, profiling = 0, segment = '', points_balance = 0, enrolled_at = NULL, erased_at = ?, "
           "pseudonym = ?, changed_version = ? WHERE customer_id = ?")
        .bind_all(now_ms, erasure.pseudonym, version, id)
        .run();
    db_.cached("INSERT INTO revocations (version, kind, customer_id, at) VALUES (?, ?, ?, ?)")
        .bind_all(version, static_cast<std::int64_t>(v1::REVOCATION_KIND_CUSTOMER_ERASED), id, now_ms)
        .run();
    return erasure;
}

}  // namespace loyalty::hq
