-- One row per standard: its identity and the counter of its changes, which orders its events.
CREATE TABLE standards (
    id          uuid        PRIMARY KEY,
    revision    bigint      NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Every version of every standard, never deleted: a superseded version stays readable.
CREATE TABLE standard_versions (
    standard_id    uuid        NOT NULL REFERENCES standards (id),
    version        integer     NOT NULL CHECK (version >= 1),
    stage          text        NOT NULL,
    content        jsonb       NOT NULL,
    -- The NCE's advisory conclusion on this version, once recorded (Art. 5.5).
    nce_conclusion text,
    -- Search columns, kept from the content.
    title_search   text        NOT NULL,
    nkz_codes      text[]      NOT NULL,
    nqf_levels     integer[]   NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (standard_id, version)
);

-- At most one published version of a standard at a time.
CREATE UNIQUE INDEX standard_versions_one_published ON standard_versions (standard_id) WHERE stage = 'published';
CREATE INDEX standard_versions_stage ON standard_versions (stage, standard_id, version);
CREATE INDEX standard_versions_nkz_codes ON standard_versions USING gin (nkz_codes);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX standard_versions_title_trgm ON standard_versions USING gin (title_search gin_trgm_ops);

-- Every step of the approval of every version: who, when, on which document (Art. 5.5).
CREATE TABLE standard_steps (
    standard_id   uuid        NOT NULL,
    version       integer     NOT NULL,
    seq           integer     NOT NULL,
    reached       text        NOT NULL,
    returned      boolean     NOT NULL DEFAULT false,
    conclusion    text,
    document      jsonb,
    remarks       text        NOT NULL DEFAULT '',
    actor         text        NOT NULL,
    actor_role    text        NOT NULL,
    request_id    text        NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (standard_id, version, seq),
    FOREIGN KEY (standard_id, version) REFERENCES standard_versions (standard_id, version)
);
