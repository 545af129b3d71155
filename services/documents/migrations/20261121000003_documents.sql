-- Mutating requests already applied, so that a retried request is applied once. Request ids
-- of recognition centers are kept per center ("<center>:<request id>").
CREATE TABLE applied_requests (
    request_id  text        PRIMARY KEY,
    method      text        NOT NULL,
    resource_id uuid        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- The last sequence number given to each center's documents (Appendix 2, part 6). The row is
-- locked by the issuing transaction, so numbers are given one at a time, without gaps (a
-- rolled-back issuance gives its number back) and without duplicates.
CREATE TABLE center_sequences (
    center_number integer PRIMARY KEY,
    last_sequence bigint  NOT NULL
);

-- Every document ever registered. A document is never deleted; cancellation is recorded on it.
CREATE TABLE documents (
    id               uuid        PRIMARY KEY,
    serial_number    text        NOT NULL UNIQUE,
    center_number    integer     NOT NULL,
    sequence         bigint      NOT NULL,
    holder_iin       text        NOT NULL,
    holder_name      text        NOT NULL,
    profession_id    uuid        NOT NULL,
    profession_name  text        NOT NULL,
    nqf_level        integer     NOT NULL,
    separate_skills  text[]      NOT NULL,
    procedure_date   date        NOT NULL,
    protocol_number  text        NOT NULL,
    protocol_date    date        NOT NULL,
    issue_date       date        NOT NULL,
    valid_until      date        NOT NULL,
    head_of_center   text        NOT NULL,
    voucher_id       text        NOT NULL,
    issued_late      boolean     NOT NULL,
    cancelled_on     date,
    cancel_reason    text,
    cancel_basis     jsonb,
    created_at       timestamptz NOT NULL,
    UNIQUE (center_number, sequence)
);
CREATE INDEX documents_holder ON documents (holder_iin);
CREATE INDEX documents_cancelled ON documents (cancelled_on, id) WHERE cancelled_on IS NOT NULL;
CREATE INDEX documents_profession ON documents (profession_id);

-- Who looked up a person's documents by IIN, when: the lookups are audited.
CREATE TABLE iin_lookups (
    id         bigserial   PRIMARY KEY,
    official   text        NOT NULL,
    role       text        NOT NULL,
    iin        text        NOT NULL,
    found      integer     NOT NULL,
    looked_at  timestamptz NOT NULL DEFAULT now()
);
