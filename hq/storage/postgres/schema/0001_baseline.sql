-- Head office's schema on PostgreSQL, version 1: the same tables and columns as the SQLite
-- backend's schema version 9 (hq/storage/sqlite_storage.cpp and its helpers), in PostgreSQL's
-- types. Plain tables a BI tool can read (docs/head-office.md "Schema" describes each):
-- times are bigint milliseconds since the Unix epoch (UTC), money bigint minor units of the
-- chain's currency, flags integers 0/1, protobuf messages bytea.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO meta (key, value) VALUES ('catalog_version', 0), ('applied_through', 0), ('affinity_generation', 0),
    ('profiling_backfilled', 1);

CREATE TABLE terminals (
    terminal_id      text PRIMARY KEY,
    store_id         text NOT NULL,
    database_id      text NOT NULL DEFAULT '',
    epoch            bigint NOT NULL DEFAULT 1,
    stored_through   bigint NOT NULL DEFAULT 0,
    reported_through bigint NOT NULL DEFAULT 0,
    catalog_version  bigint NOT NULL DEFAULT 0,
    software_version text NOT NULL DEFAULT '',
    events           bigint NOT NULL DEFAULT 0,
    connected        bigint NOT NULL DEFAULT 0,  -- links open now (a late disconnect of an old one)
    first_contact    bigint NOT NULL,
    last_contact     bigint NOT NULL
, restored_tag text NOT NULL DEFAULT '');

-- The journal: every event a terminal was acknowledged for, as it came. Partitioned by the month it
-- was received (received_at, ms since the epoch, UTC), so old months are dropped whole once applied
-- (retention). No unique index can span the partitions: which events are new is decided by the
-- terminal's high-water mark (terminals.stored_through per epoch; hq/rules/journal_rules.hpp),
-- which outlives any partition. `id` orders the journal for applying (meta.applied_through).
CREATE SEQUENCE events_id_seq AS bigint;
CREATE TABLE events (
    id            bigint NOT NULL DEFAULT nextval('events_id_seq'),
    terminal_id   text NOT NULL,
    epoch         bigint NOT NULL,
    sequence      bigint NOT NULL,
    kind          text NOT NULL,
    store_id      text NOT NULL,
    terminal_time bigint NOT NULL,
    received_at   bigint NOT NULL,
    body          bytea NOT NULL,
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE INDEX events_terminal ON events (terminal_id, epoch, sequence);
-- Anything outside the monthly partitions the backend makes ahead lands here, never refused.
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Makes the monthly partitions of `months` months from the one holding `from_ms` (UTC), those
-- that do not exist yet: events_2026_12 holds [2026-12-01, 2027-01-01).
CREATE FUNCTION loyalty_event_partitions(from_ms bigint, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC')::date;
    made integer := 0;
    m date;
    name text;
BEGIN
    FOR k IN 0 .. months - 1 LOOP
        m := (first + make_interval(months => k))::date;
        name := format('events_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)', name,
                           (extract(epoch FROM m::timestamp AT TIME ZONE 'UTC') * 1000)::bigint,
                           (extract(epoch FROM (m + interval '1 month')::timestamp AT TIME ZONE 'UTC') * 1000)::bigint);
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;


CREATE TABLE sales (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    terminal_id     text NOT NULL,
    sale_id         text NOT NULL,
    store_id        text NOT NULL,
    customer_id     text,
    sold_at         bigint NOT NULL,
    currency        text NOT NULL,
    subtotal        bigint NOT NULL,
    discount_total  bigint NOT NULL,
    total           bigint NOT NULL,
    points_earned   bigint NOT NULL,
    points_redeemed bigint NOT NULL,
    UNIQUE (terminal_id, sale_id)
);

CREATE INDEX sales_customer ON sales (customer_id) WHERE customer_id IS NOT NULL;

CREATE INDEX sales_store_time ON sales (store_id, sold_at);

CREATE TABLE sale_lines (
    sale         bigint NOT NULL REFERENCES sales (id),
    line_no      bigint NOT NULL,
    gtin         text NOT NULL,
    department   text NOT NULL,
    units        bigint,
    weight_grams bigint,
    line_total   bigint NOT NULL, description text NOT NULL DEFAULT '',
    PRIMARY KEY (sale, line_no)
);

CREATE TABLE sale_discounts (
    sale        bigint NOT NULL REFERENCES sales (id),
    discount_no bigint NOT NULL,
    offer_id    text NOT NULL,
    amount      bigint NOT NULL,
    coupon_code text,
    PRIMARY KEY (sale, discount_no)
);

CREATE INDEX sale_discounts_offer ON sale_discounts (offer_id);

CREATE TABLE returns (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    terminal_id       text NOT NULL,
    return_id         text NOT NULL,
    store_id          text NOT NULL,
    original_sale_id  text NOT NULL,
    customer_id       text,
    returned_at       bigint NOT NULL,
    refund_total      bigint NOT NULL,
    points_reversed   bigint NOT NULL,
    points_given_back bigint NOT NULL, original_terminal_id text, profiled bigint NOT NULL DEFAULT 0,
    UNIQUE (terminal_id, return_id)
);

CREATE TABLE voids (
    terminal_id text NOT NULL,
    sale_id     text NOT NULL,
    store_id    text NOT NULL,
    voided_at   bigint NOT NULL,
    reason      bigint NOT NULL,
    total       bigint NOT NULL,
    PRIMARY KEY (terminal_id, sale_id)
);

CREATE TABLE customers (
    customer_id     text PRIMARY KEY,
    given_name      text,
    family_name     text,
    email           text,
    phone           text,
    birthday        bytea,
    tier            bigint NOT NULL DEFAULT 1,
    segment         text NOT NULL DEFAULT '',
    points_balance  bigint NOT NULL DEFAULT 0,
    balance_version bigint NOT NULL DEFAULT 0,
    consents        bytea,
    member_since    bigint NOT NULL,
    enrolled_at     text,
    changed_version bigint NOT NULL
, profiling bigint NOT NULL DEFAULT 0, erased_at bigint, pseudonym text);

CREATE INDEX customers_changed ON customers (changed_version);

CREATE TABLE customer_cards (
    loyalty_card text PRIMARY KEY,
    customer_id  text NOT NULL REFERENCES customers (customer_id),
    blocked      bigint NOT NULL DEFAULT 0
);

CREATE INDEX customer_cards_customer ON customer_cards (customer_id);

CREATE TABLE points_ledger (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id text NOT NULL,
    delta       bigint NOT NULL,
    reason      text NOT NULL,
    terminal_id text NOT NULL,
    sequence    bigint NOT NULL,
    at          bigint NOT NULL,
    balance     bigint NOT NULL
);

CREATE INDEX points_ledger_customer ON points_ledger (customer_id);

CREATE TABLE consent_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id text NOT NULL,
    purpose     bigint NOT NULL,
    granted     bigint NOT NULL,
    recorded_at bigint NOT NULL,
    source      bigint NOT NULL,
    terminal_id text
);

CREATE INDEX consent_log_customer ON consent_log (customer_id);

CREATE TABLE offers (
    offer_id        text PRIMARY KEY,
    revision        bigint NOT NULL,
    name            text NOT NULL,
    body            bytea NOT NULL,
    added_at        bigint NOT NULL,
    retired_at      bigint,
    changed_version bigint NOT NULL
);

CREATE TABLE assignments (
    offer_id        text NOT NULL,
    customer_id     text NOT NULL,
    code            text NOT NULL DEFAULT '',
    uses_left       bigint NOT NULL DEFAULT 0,
    expires_at      bigint,
    assigned_at     bigint NOT NULL,
    withdrawn       bigint NOT NULL DEFAULT 0,
    changed_version bigint NOT NULL,
    PRIMARY KEY (offer_id, customer_id, code)
);

CREATE INDEX assignments_changed ON assignments (changed_version);

CREATE TABLE redeemed_codes (
    code        text PRIMARY KEY,
    offer_id    text NOT NULL,
    terminal_id text NOT NULL,
    sale_id     text NOT NULL,
    redeemed_at bigint NOT NULL
);

CREATE TABLE revocations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version     bigint NOT NULL,
    kind        bigint NOT NULL,
    offer_id    text NOT NULL DEFAULT '',
    customer_id text NOT NULL DEFAULT '',
    code        text NOT NULL DEFAULT '',
    card        text NOT NULL DEFAULT '',
    at          bigint NOT NULL
);

CREATE INDEX revocations_version ON revocations (version);

CREATE TABLE points_rules (
    id              integer PRIMARY KEY CHECK (id = 1),
    body            bytea NOT NULL,
    changed_version bigint NOT NULL
);

CREATE TABLE conflicts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    detected_at bigint NOT NULL,
    store_id    text NOT NULL DEFAULT '',
    terminal_id text NOT NULL DEFAULT '',
    sequence    bigint NOT NULL DEFAULT 0,
    customer_id text NOT NULL DEFAULT '',
    detail      text NOT NULL
);

CREATE TABLE profiles (
    customer_id text PRIMARY KEY,
    visits      bigint NOT NULL DEFAULT 0,
    spend       bigint NOT NULL DEFAULT 0,
    refunds     bigint NOT NULL DEFAULT 0,
    lines       bigint NOT NULL DEFAULT 0,
    first_visit bigint NOT NULL,
    last_visit  bigint NOT NULL,
    visit_days  bytea,
    median_gap  double precision,
    recency     bigint NOT NULL DEFAULT 0,
    frequency   bigint NOT NULL DEFAULT 0,
    monetary    bigint NOT NULL DEFAULT 0,
    segment     text NOT NULL DEFAULT '',
    churn_ratio double precision
);

CREATE INDEX profiles_segment ON profiles (segment);

CREATE TABLE customer_months (
    customer_id text NOT NULL,
    month       bigint NOT NULL,
    spend       bigint NOT NULL DEFAULT 0,
    visits      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, month)
);

CREATE TABLE profile_departments (
    customer_id text NOT NULL,
    department  text NOT NULL,
    spend       bigint NOT NULL DEFAULT 0,
    lines       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, department)
);

CREATE TABLE profile_products (
    customer_id text NOT NULL,
    gtin        text NOT NULL,
    baskets     bigint NOT NULL DEFAULT 0,
    spend       bigint NOT NULL DEFAULT 0,
    last_bought bigint NOT NULL,
    PRIMARY KEY (customer_id, gtin)
);

CREATE INDEX profile_products_gtin ON profile_products (gtin, last_bought);

CREATE TABLE rfm_edges (
    metric text PRIMARY KEY,
    e1 double precision NOT NULL, e2 double precision NOT NULL, e3 double precision NOT NULL, e4 double precision NOT NULL
);

CREATE INDEX sales_customer_time ON sales (customer_id, sold_at) WHERE customer_id IS NOT NULL;

CREATE INDEX sales_time ON sales (sold_at);

CREATE INDEX returns_customer ON returns (customer_id) WHERE customer_id IS NOT NULL;

CREATE INDEX returns_original ON returns (original_sale_id);

CREATE TABLE return_lines (
    return           bigint NOT NULL REFERENCES returns (id),
    n                bigint NOT NULL,
    original_line_no bigint NOT NULL,
    refund           bigint NOT NULL,
    PRIMARY KEY (return, n)
);

CREATE INDEX conflicts_customer ON conflicts (customer_id) WHERE customer_id != '';

CREATE INDEX redeemed_codes_sale ON redeemed_codes (terminal_id, sale_id);

CREATE TABLE bought_together (
    generation bigint NOT NULL,
    x          text NOT NULL,
    y          text NOT NULL,
    baskets_xy bigint NOT NULL,
    support    double precision NOT NULL,
    confidence double precision NOT NULL,
    lift       double precision NOT NULL,
    PRIMARY KEY (generation, y, x)
);

CREATE INDEX bought_together_lift ON bought_together (generation, lift);

CREATE TABLE campaigns (
    campaign_id text PRIMARY KEY,
    offer_id    text NOT NULL,
    body        bytea NOT NULL,
    state       bigint NOT NULL,
    added_at    bigint NOT NULL,
    changed_at  bigint NOT NULL,
    last_run    bigint
);

CREATE TABLE campaign_members (
    campaign_id text NOT NULL,
    customer_id text NOT NULL,
    control     bigint NOT NULL,
    chosen_at   bigint NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
);

CREATE INDEX campaign_members_customer ON campaign_members (customer_id);

CREATE TABLE sale_points (
    sale     bigint NOT NULL REFERENCES sales (id),
    n        bigint NOT NULL,
    offer_id text NOT NULL,
    points   bigint NOT NULL,
    PRIMARY KEY (sale, n)
);

CREATE INDEX sale_points_offer ON sale_points (offer_id);

CREATE TABLE contact_key (
    id            integer PRIMARY KEY CHECK (id = 1),
    key           bytea NOT NULL,
    since_version bigint NOT NULL
);

COMMENT ON TABLE terminals IS 'Every terminal head office has heard from: contact, versions, the high-water mark of its journal (stored_through, per database epoch).';
COMMENT ON TABLE events IS 'The journal: each event a terminal was acknowledged for, its protobuf bytes in body; partitioned by month received.';
COMMENT ON TABLE sales IS 'Completed sales (one row per terminal and sale id); money in minor units, sold_at in ms since the epoch.';
COMMENT ON TABLE sale_lines IS 'The lines of each sale.';
COMMENT ON TABLE returns IS 'Returns and refunds against earlier sales.';
COMMENT ON TABLE customers IS 'Loyalty customers: contact, tier, segment, points balance, consents; erased customers keep only a pseudonym.';
COMMENT ON TABLE points_ledger IS 'Every change to a customer''s points balance, with the balance after it.';
COMMENT ON TABLE conflicts IS 'What offline tills could not prevent (reused coupons, negative balances, sequence gaps, ...).';
COMMENT ON TABLE profiles IS 'Per-customer figures for customers who consented to profiling: visits, spend, RFM scores, segment.';
COMMENT ON TABLE campaigns IS 'Targeted campaigns (protobuf in body) and their state.';
COMMENT ON TABLE campaign_members IS 'Who each campaign chose: targeted (control = 0) or held out (control = 1).';
