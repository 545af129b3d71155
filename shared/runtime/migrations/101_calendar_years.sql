-- The working-day calendar by year, as the authorized body loaded it: in the register of
-- professions, which keeps it, and in every service that follows it from its events. The years
-- that ship with the platform are not here until amended.
CREATE TABLE calendar_years (
    year       integer     PRIMARY KEY,
    data       jsonb       NOT NULL,
    version    bigint      NOT NULL,
    basis      jsonb,
    actor      text        NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every version of every year, never overwritten (kept where the year is loaded).
CREATE TABLE calendar_year_history (
    year       integer     NOT NULL,
    version    bigint      NOT NULL,
    data       jsonb       NOT NULL,
    basis      jsonb,
    actor      text        NOT NULL,
    actor_role text        NOT NULL,
    request_id text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, version)
);
