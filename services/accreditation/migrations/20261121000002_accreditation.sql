-- Center numbers: four digits, given at first accreditation, never reused (Rules, Appendix 2).
CREATE SEQUENCE center_number_seq MINVALUE 1 MAXVALUE 9999 NO CYCLE;

-- A recognition center: the legal entity holding (or having held) certificates under one number.
CREATE TABLE centers (
    number                 integer     PRIMARY KEY CHECK (number BETWEEN 1 AND 9999),
    bin                    text        NOT NULL,
    name                   text        NOT NULL,
    founders               jsonb       NOT NULL,
    -- Art. 26.5: revoked for violations concerning health, life support and safety.
    not_renewable_since    date,
    current_certificate_id uuid,
    created_at             timestamptz NOT NULL
);

CREATE TABLE applications (
    id             uuid        PRIMARY KEY,
    stage          text        NOT NULL,
    form           jsonb       NOT NULL,
    applicant_bin  text        NOT NULL,
    filed_on       date        NOT NULL,
    site_report    jsonb,
    decision       jsonb,
    agreement      jsonb,
    certificate_id uuid,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX applications_stage ON applications (stage, id);
CREATE INDEX applications_bin ON applications (applicant_bin);

CREATE TABLE certificates (
    id                      uuid        PRIMARY KEY,
    serial_number           text        NOT NULL UNIQUE,
    center_number           integer     NOT NULL REFERENCES centers (number),
    center_bin              text        NOT NULL,
    center_name             text        NOT NULL,
    scope                   jsonb       NOT NULL,
    issued_on               date        NOT NULL,
    valid_from              date        NOT NULL,
    valid_until             date        NOT NULL,
    status                  text        NOT NULL,
    status_since            date        NOT NULL,
    previous_certificate_id uuid,
    application_id          uuid,
    revocation              jsonb,
    termination_ground      text,
    reorganisation          text,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);
CREATE INDEX certificates_center ON certificates (center_number, issued_on);
-- What the expiry job scans.
CREATE INDEX certificates_live_until ON certificates (valid_until) WHERE status IN ('active', 'revoked');

-- Every step of every case (application or certificate): who, when, what, on which document.
CREATE TABLE case_steps (
    case_id     uuid        NOT NULL,
    seq         integer     NOT NULL,
    what        text        NOT NULL,
    actor       text        NOT NULL,
    actor_role  text        NOT NULL,
    document    jsonb,
    remarks     text        NOT NULL DEFAULT '',
    acted_on    date        NOT NULL,
    request_id  text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Statutory deadlines (Art. 25.2, 25.4, 26.3, 26.4) of each case, open until met.
CREATE TABLE deadlines (
    id         bigserial   PRIMARY KEY,
    case_id    uuid        NOT NULL,
    kind       text        NOT NULL,
    started_on date        NOT NULL,
    due        date        NOT NULL,
    met_on     date
);
CREATE UNIQUE INDEX deadlines_one_open ON deadlines (case_id, kind) WHERE met_on IS NULL;
CREATE INDEX deadlines_open_due ON deadlines (due) WHERE met_on IS NULL;

-- Monitoring findings against post-accreditation agreements (Art. 25.3).
CREATE TABLE findings (
    id                        uuid        PRIMARY KEY,
    certificate_id            uuid        NOT NULL REFERENCES certificates (id),
    description               text        NOT NULL,
    concerns_health_or_safety boolean     NOT NULL,
    found_on                  date        NOT NULL,
    opened_revocation_case    boolean     NOT NULL,
    revocation_decision_due   date,
    request_id                text        UNIQUE,
    actor                     text        NOT NULL,
    actor_role                text        NOT NULL,
    recorded_at               timestamptz NOT NULL
);

-- The register of professions as this service hears it (Art. 24.1.3).
CREATE TABLE registered_professions (
    profession_id uuid    PRIMARY KEY,
    active        boolean NOT NULL,
    nqf_levels    integer[] NOT NULL,
    version       bigint  NOT NULL
);
