-- The registry's own copy of the register of professions, built from the register's events.
-- Documents are judged by the register as it stood on the day of the procedure, so every
-- version received is kept, with the date from which it counts.
CREATE TABLE registered_professions (
    profession_id  uuid        PRIMARY KEY,
    version        bigint      NOT NULL,
    active         boolean     NOT NULL,
    effective_from date        NOT NULL,
    -- The entry as the register published it: an encoded nsk.professions.v1.Profession.
    snapshot       bytea       NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per applied event; the idempotent consumer guarantees each event lands once.
CREATE TABLE registered_profession_versions (
    id             bigserial   PRIMARY KEY,
    profession_id  uuid        NOT NULL,
    version        bigint      NOT NULL,
    active         boolean     NOT NULL,
    effective_from date        NOT NULL,
    snapshot       bytea       NOT NULL,
    event_id       uuid        NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX registered_profession_versions_as_of
    ON registered_profession_versions (profession_id, effective_from, version);
