-- Entries whose standard version was superseded, awaiting the authorized body's review.
-- A flag is cleared when the entry is amended onto another footing.
CREATE TABLE review_flags (
    profession_id       uuid        PRIMARY KEY REFERENCES professions (id),
    standard_id         uuid        NOT NULL,
    superseded_version  integer     NOT NULL,
    superseding_version integer     NOT NULL,
    flagged_at          timestamptz NOT NULL DEFAULT now()
);
