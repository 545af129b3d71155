-- The terms of each year (Art. 29.4): validity, and each region's rate and budget, with what
-- the region has committed; the CHECKs make overspending impossible under concurrency.
CREATE TABLE voucher_terms (
    year          integer     PRIMARY KEY,
    validity_days integer     NOT NULL,
    version       bigint      NOT NULL,
    basis         jsonb       NOT NULL,
    actor         text        NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE voucher_region_terms (
    year            integer NOT NULL REFERENCES voucher_terms (year),
    region          text    NOT NULL,
    rate_tiyn       bigint  NOT NULL,
    budget_count    bigint  NOT NULL,
    budget_tiyn     bigint  NOT NULL,
    committed_count bigint  NOT NULL DEFAULT 0,
    committed_tiyn  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (year, region),
    CONSTRAINT budget_count_kept CHECK (committed_count <= budget_count),
    CONSTRAINT budget_tiyn_kept CHECK (committed_tiyn <= budget_tiyn)
);

-- Every version of every year's terms, never overwritten.
CREATE TABLE voucher_terms_history (
    year        integer     NOT NULL,
    version     bigint      NOT NULL,
    terms       jsonb       NOT NULL,
    actor       text        NOT NULL,
    request_id  text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, version)
);

CREATE SEQUENCE voucher_number_seq;

CREATE TABLE vouchers (
    id            uuid        PRIMARY KEY,
    number        text        NOT NULL UNIQUE,
    holder_iin    text        NOT NULL,
    holder_name   text        NOT NULL,
    region        text        NOT NULL,
    year          integer     NOT NULL,
    registration  jsonb       NOT NULL,
    issued_on     date        NOT NULL,
    base_until    date        NOT NULL,
    valid_until   date        NOT NULL,
    status        text        NOT NULL,
    status_since  date        NOT NULL,
    rate_tiyn     bigint      NOT NULL,
    terms_version bigint      NOT NULL,
    sick_leaves   jsonb       NOT NULL DEFAULT '[]',
    center_number integer,
    profession_id uuid,
    nqf_level     integer,
    cancel_reason text,
    -- A passed procedure's document, which names the voucher.
    document_serial text,
    issued_by     text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- Art. 29: "provided once a year" — one voucher per person per calendar year, nationwide,
-- whatever office issues it and whatever becomes of it.
CREATE UNIQUE INDEX vouchers_once_a_year ON vouchers (holder_iin, year);
CREATE INDEX vouchers_region ON vouchers (region, issued_on, id);

-- Who looked a voucher's holder up: reads of personal data are audited.
CREATE TABLE holder_reads (
    id        bigserial   PRIMARY KEY,
    reader    text        NOT NULL,
    role      text        NOT NULL,
    voucher   uuid        NOT NULL,
    read_at   timestamptz NOT NULL DEFAULT now()
);
