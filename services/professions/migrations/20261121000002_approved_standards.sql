-- The list of approved professional standards, as the standards service publishes it: a
-- profession may rest only on an approved, current version (Art. 5.5, 1.14).
CREATE TABLE approved_standards (
    standard_id       uuid        NOT NULL,
    version           integer     NOT NULL,
    superseded_by     integer,
    received_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (standard_id, version)
);
