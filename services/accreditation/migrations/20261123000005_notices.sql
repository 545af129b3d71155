-- Art. 26.4: copies of decisions sent to a center electronically via the platform. A notice is
-- delivered when it is written here; the center's first read is recorded.
CREATE TABLE notices (
    id             uuid        PRIMARY KEY,
    center_number  integer     NOT NULL REFERENCES centers (number),
    kind           text        NOT NULL,
    certificate_id uuid        NOT NULL REFERENCES certificates (id),
    decided_on     date        NOT NULL,
    delivered_on   date        NOT NULL,
    text           text        NOT NULL,
    basis          jsonb,
    first_read_at  timestamptz,
    first_read_by  text
);
CREATE INDEX notices_center ON notices (center_number, id DESC);
