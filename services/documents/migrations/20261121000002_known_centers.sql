-- The registry's copy of the register of recognition centers, built from accreditation's
-- events: a document is judged by whether its center could act on the day of the procedure.
CREATE TABLE known_centers (
    center_number integer     PRIMARY KEY,
    bin           text        NOT NULL,
    name          text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE known_certificates (
    certificate_id uuid    PRIMARY KEY,
    center_number  integer NOT NULL REFERENCES known_centers (center_number),
    serial_number  text    NOT NULL,
    valid_from     date    NOT NULL,
    valid_until    date    NOT NULL,
    -- The certificate as accreditation published it last: an encoded nsk.accreditation.v1.Certificate.
    snapshot       bytea   NOT NULL
);
CREATE INDEX known_certificates_center ON known_certificates (center_number, valid_from);

-- Every status of every certificate with the day it took effect, never overwritten.
CREATE TABLE known_certificate_statuses (
    id             bigserial PRIMARY KEY,
    certificate_id uuid      NOT NULL REFERENCES known_certificates (certificate_id),
    status         text      NOT NULL,
    since          date      NOT NULL,
    event_id       uuid      NOT NULL
);
CREATE INDEX known_certificate_statuses_as_of ON known_certificate_statuses (certificate_id, since, id);

-- Documents a revocation on ground 4 named (Art. 26.2): they are cancelled.
CREATE TABLE cancellations_by_revocation (
    serial_number  text        PRIMARY KEY,
    certificate_id uuid        NOT NULL,
    center_number  integer     NOT NULL,
    revoked_on     date        NOT NULL,
    basis          text        NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
