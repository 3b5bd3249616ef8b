#include "terminal/store/schema.hpp"

#include <array>

namespace loyalty::terminal {
namespace {

// Times are INTEGER milliseconds since the Unix epoch (UTC); money is INTEGER minor units.
constexpr std::string_view k_v1_sales_and_outbox = R"sql(
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('outbox_sequence', 0);

CREATE TABLE outbox (
    sequence   INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('purchase', 'void', 'return', 'enrollment', 'consent')),
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    acked_at   INTEGER
);
CREATE INDEX outbox_unacked ON outbox (sequence) WHERE acked_at IS NULL;

CREATE TABLE sales (
    sale_id         TEXT PRIMARY KEY,
    sequence        INTEGER NOT NULL UNIQUE,
    cashier_id      TEXT NOT NULL,
    loyalty_card    TEXT,
    customer_id     TEXT,
    completed_at    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    subtotal        INTEGER NOT NULL,
    discount_total  INTEGER NOT NULL CHECK (discount_total >= 0),
    total           INTEGER NOT NULL CHECK (total >= 0 AND total = subtotal - discount_total),
    points_earned   INTEGER NOT NULL DEFAULT 0,
    points_redeemed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sales_customer ON sales (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX sales_completed ON sales (completed_at);

CREATE TABLE sale_lines (
    sale_id      TEXT NOT NULL REFERENCES sales (sale_id) ON DELETE CASCADE,
    line_no      INTEGER NOT NULL,
    gtin         TEXT NOT NULL,
    description  TEXT NOT NULL,
    department   TEXT NOT NULL,
    units        INTEGER,
    weight_grams INTEGER,
    unit_price   INTEGER NOT NULL,
    line_total   INTEGER NOT NULL,
    CHECK ((units IS NULL) <> (weight_grams IS NULL)),
    CHECK (coalesce(units, weight_grams) > 0),
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;

CREATE TABLE sale_discounts (
    sale_id      TEXT NOT NULL REFERENCES sales (sale_id) ON DELETE CASCADE,
    discount_no  INTEGER NOT NULL,
    offer_id     TEXT NOT NULL,
    receipt_text TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    coupon_code  TEXT,
    PRIMARY KEY (sale_id, discount_no)
) WITHOUT ROWID;

CREATE TABLE sale_discount_targets (
    sale_id     TEXT NOT NULL,
    discount_no INTEGER NOT NULL,
    line_no     INTEGER NOT NULL,
    units       INTEGER NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (sale_id, discount_no, line_no),
    FOREIGN KEY (sale_id, discount_no) REFERENCES sale_discounts (sale_id, discount_no) ON DELETE CASCADE,
    FOREIGN KEY (sale_id, line_no) REFERENCES sale_lines (sale_id, line_no) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE sale_tenders (
    sale_id   TEXT NOT NULL REFERENCES sales (sale_id) ON DELETE CASCADE,
    tender_no INTEGER NOT NULL,
    kind      INTEGER NOT NULL,
    amount    INTEGER NOT NULL,
    PRIMARY KEY (sale_id, tender_no)
) WITHOUT ROWID;
)sql";

constexpr std::string_view k_v2_open_basket_and_returns = R"sql(
CREATE TABLE open_basket (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    sale_id          TEXT NOT NULL,
    cashier_id       TEXT NOT NULL,
    currency         TEXT NOT NULL,
    opened_at        INTEGER NOT NULL,
    loyalty_card     TEXT,
    customer_id      TEXT,
    points_to_redeem INTEGER NOT NULL DEFAULT 0 CHECK (points_to_redeem >= 0)
);

CREATE TABLE open_basket_lines (
    basket       INTEGER NOT NULL DEFAULT 1 REFERENCES open_basket (id) ON DELETE CASCADE,
    line_no      INTEGER NOT NULL PRIMARY KEY,
    gtin         TEXT NOT NULL,
    description  TEXT NOT NULL,
    department   TEXT NOT NULL,
    units        INTEGER,
    weight_grams INTEGER,
    unit_price   INTEGER NOT NULL,
    line_total   INTEGER NOT NULL,
    CHECK ((units IS NULL) <> (weight_grams IS NULL)),
    CHECK (coalesce(units, weight_grams) > 0)
);

CREATE TABLE returns (
    return_id         TEXT PRIMARY KEY,
    original_sale_id  TEXT NOT NULL,
    sequence          INTEGER NOT NULL UNIQUE,
    returned_at       INTEGER NOT NULL,
    refund_total      INTEGER NOT NULL CHECK (refund_total >= 0),
    points_reversed   INTEGER NOT NULL DEFAULT 0,
    points_given_back INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX returns_original ON returns (original_sale_id);

CREATE TABLE return_lines (
    return_id        TEXT NOT NULL REFERENCES returns (return_id) ON DELETE CASCADE,
    original_line_no INTEGER NOT NULL,
    units            INTEGER,
    weight_grams     INTEGER,
    refund           INTEGER NOT NULL CHECK (refund >= 0),
    PRIMARY KEY (return_id, original_line_no)
) WITHOUT ROWID;
)sql";

constexpr std::string_view k_v3_catalog_cache = R"sql(
CREATE TABLE customers (
    customer_id     TEXT PRIMARY KEY,
    given_name      TEXT,
    family_name     TEXT,
    email           TEXT,
    phone           TEXT,
    birthday        TEXT,
    tier            INTEGER NOT NULL DEFAULT 0,
    segment         TEXT,
    points_balance  INTEGER NOT NULL DEFAULT 0,
    balance_version INTEGER NOT NULL DEFAULT 0,
    consents        BLOB,
    member_since    INTEGER,
    origin          TEXT NOT NULL CHECK (origin IN ('head_office', 'enrolled_here')),
    updated_at      INTEGER NOT NULL
);
CREATE INDEX customers_email ON customers (email) WHERE email IS NOT NULL;
CREATE INDEX customers_phone ON customers (phone) WHERE phone IS NOT NULL;

CREATE TABLE customer_cards (
    loyalty_card TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    blocked      INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
) WITHOUT ROWID;
CREATE INDEX customer_cards_customer ON customer_cards (customer_id);

CREATE TABLE offers (
    offer_id   TEXT PRIMARY KEY,
    revision   INTEGER NOT NULL,
    body       BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE offer_assignments (
    offer_id    TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    uses_left   INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER,
    PRIMARY KEY (offer_id, customer_id, code)
) WITHOUT ROWID;
CREATE INDEX offer_assignments_customer ON offer_assignments (customer_id);

CREATE TABLE offer_redemptions (
    customer_id TEXT NOT NULL,
    offer_id    TEXT NOT NULL,
    uses        INTEGER NOT NULL CHECK (uses >= 0),
    PRIMARY KEY (customer_id, offer_id)
) WITHOUT ROWID;

CREATE TABLE revoked_codes (
    code       TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE catalog_versions (
    component  TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO catalog_versions (component, version, updated_at) VALUES ('catalog', 0, 0);
)sql";

// Numbers printed on receipts and given to new customers, per terminal.
constexpr std::string_view k_v4_receipt_numbers = R"sql(
INSERT INTO counters (name, value) VALUES ('sale_number', 0), ('return_number', 0), ('customer_number', 0);
ALTER TABLE open_basket ADD COLUMN coupon_codes TEXT NOT NULL DEFAULT '';
CREATE INDEX sale_lines_gtin ON sale_lines (gtin);
)sql";

// The chain's points rules, as last received (or imported).
constexpr std::string_view k_v5_points_rules = R"sql(
CREATE TABLE points_rules (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    body       BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
ALTER TABLE returns ADD COLUMN restored_offers TEXT NOT NULL DEFAULT '';
)sql";

// The points offers a sale used, so a return can give their per-customer use back.
constexpr std::string_view k_v6_points_offers = R"sql(
CREATE TABLE sale_points_offers (
    sale_id  TEXT NOT NULL REFERENCES sales (sale_id) ON DELETE CASCADE,
    offer_id TEXT NOT NULL,
    PRIMARY KEY (sale_id, offer_id)
) WITHOUT ROWID;
)sql";

// Who this database is: head office keys a terminal's sequences by it, so a till whose database
// was replaced (sequences starting again at 1) is not taken for a replay of the old one.
constexpr std::string_view k_v7_database_identity = R"sql(
CREATE TABLE identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    database_id TEXT NOT NULL
);
INSERT INTO identity (id, database_id) VALUES (1, lower(hex(randomblob(16))));
CREATE INDEX customers_origin ON customers (origin);
)sql";

// A short random tag in the ids this database gives sales, returns and customers, so that a
// replaced database (or one restored from a backup, given a new tag then) never reuses an id
// head office already holds for another sale or person. Filled in by LocalStore.
constexpr std::string_view k_v8_id_tag = R"sql(
ALTER TABLE identity ADD COLUMN id_tag TEXT NOT NULL DEFAULT '';
)sql";

// Customers enrolled elsewhere keep only what a till needs: the display name head office sends,
// the birthday's month and day, keyed hashes of phone and e-mail for lookups (under head office's
// contact key, kept in contact_key). Their names, phone numbers and e-mail addresses already
// cached go; the catalog is asked for again from scratch so the hashes arrive. LocalStore then
// rewrites the file (VACUUM) and keeps secure_delete on, so the removed bytes are gone too.
constexpr std::string_view k_v9_contact_minimised = R"sql(
ALTER TABLE customers ADD COLUMN display_name TEXT;
ALTER TABLE customers ADD COLUMN phone_key BLOB;
ALTER TABLE customers ADD COLUMN email_key BLOB;
CREATE INDEX customers_phone_key ON customers (phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX customers_email_key ON customers (email_key) WHERE email_key IS NOT NULL;
CREATE TABLE contact_key (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    key           BLOB NOT NULL,
    since_version INTEGER NOT NULL
);
UPDATE customers SET
    display_name = trim(coalesce(given_name, '') || CASE WHEN coalesce(family_name, '') = '' THEN ''
                        ELSE ' ' || substr(family_name, 1, 1) || '.' END),
    given_name = NULL, family_name = NULL, email = NULL, phone = NULL,
    birthday = CASE WHEN birthday IS NULL THEN NULL ELSE '--' || substr(birthday, -5) END
  WHERE origin = 'head_office';
UPDATE catalog_versions SET version = 0 WHERE component = 'catalog';
)sql";

constexpr std::array<sqlite::Migration, 9> k_migrations{{
    {1, "sales, lines, discounts, tenders and the outbox", k_v1_sales_and_outbox},
    {2, "the open basket and returns", k_v2_open_basket_and_returns},
    {3, "customer, offer and catalog caches", k_v3_catalog_cache},
    {4, "sale, return and customer numbers; coupon codes in the open basket", k_v4_receipt_numbers},
    {5, "points rules", k_v5_points_rules},
    {6, "points offers used by each sale", k_v6_points_offers},
    {7, "the database's identity", k_v7_database_identity},
    {8, "a tag in sale, return and customer ids", k_v8_id_tag},
    {9, "no contact details of customers enrolled elsewhere", k_v9_contact_minimised},
}};

}  // namespace

std::span<const sqlite::Migration> terminal_migrations() {
    return k_migrations;
}

int terminal_schema_version() {
    return static_cast<int>(k_migrations.size());
}

}  // namespace loyalty::terminal
