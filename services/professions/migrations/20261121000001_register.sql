-- The register of professions: the current state of each entry.
CREATE TABLE professions (
    id                               uuid        PRIMARY KEY,
    nkz_code                         text        NOT NULL,
    oked_code                        text        NOT NULL,
    name_kk                          text        NOT NULL,
    name_ru                          text        NOT NULL,
    name_en                          text        NOT NULL,
    entry                            jsonb       NOT NULL,
    status                           text        NOT NULL CHECK (status IN ('active', 'excluded')),
    version                          bigint      NOT NULL,
    created_at                       timestamptz NOT NULL,
    updated_at                       timestamptz NOT NULL
);

-- Two entries may not share an NKZ code; "0" marks professions without one.
CREATE UNIQUE INDEX professions_nkz_code_key ON professions (nkz_code) WHERE nkz_code <> '0';
CREATE INDEX professions_oked_code ON professions (oked_code);

-- Every change of every entry, never overwritten: who, when, why, and the entry as it became.
CREATE TABLE profession_history (
    profession_id  uuid        NOT NULL REFERENCES professions (id),
    version        bigint      NOT NULL,
    kind           text        NOT NULL,
    entry          jsonb       NOT NULL,
    status         text        NOT NULL,
    changed_fields text[]      NOT NULL DEFAULT '{}',
    reason         text        NOT NULL DEFAULT '',
    basis          jsonb,
    actor          text        NOT NULL,
    actor_role     text        NOT NULL,
    request_id     text        NOT NULL,
    effective_from date        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (profession_id, version)
);

-- Mutating requests already applied, so that a retried request is applied once.
CREATE TABLE applied_requests (
    request_id  text        PRIMARY KEY,
    method      text        NOT NULL,
    resource_id uuid        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
