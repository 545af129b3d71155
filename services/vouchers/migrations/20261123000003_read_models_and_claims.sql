-- What vouchers hears: the register of professions (a voucher is for a profession in the
-- register, Art. 29.2) and the certificates of recognition centers (redemption only at an
-- active center whose scope covers the profession at the level).
CREATE TABLE registered_professions (
    profession_id uuid    PRIMARY KEY,
    active        boolean NOT NULL,
    nqf_levels    integer[] NOT NULL,
    version       bigint  NOT NULL
);

CREATE TABLE known_certificates (
    certificate_id uuid    PRIMARY KEY,
    center_number  integer NOT NULL,
    status         text    NOT NULL,
    status_since   date    NOT NULL,
    valid_from     date    NOT NULL,
    valid_until    date    NOT NULL,
    -- [{"profession_id": "...", "nqf_levels": [3, 4]}]
    scope          jsonb   NOT NULL
);
CREATE INDEX known_certificates_center ON known_certificates (center_number);

-- Art. 29.4: the center's claim for the passage of a procedure, one per voucher.
CREATE TABLE claims (
    id              uuid        PRIMARY KEY,
    voucher_id      uuid        NOT NULL UNIQUE REFERENCES vouchers (id),
    center_number   integer     NOT NULL,
    region          text        NOT NULL,
    amount_tiyn     bigint      NOT NULL,
    -- passed or failed
    outcome         text        NOT NULL,
    document_serial text,
    status          text        NOT NULL,
    reason          text,
    claimed_on      date        NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX claims_region ON claims (region, claimed_on, id);
