-- Applications for recognition and their way (Rules p. 4-23). The candidate's personal data
-- (Appendix 1) is kept in `candidate`, read only by the candidate, their center and the
-- officials who need it, each read audited.
CREATE TABLE applications (
    id              uuid        PRIMARY KEY,
    center_number   integer     NOT NULL,
    -- Who applied, as their token names them: iin:<IIN> or doc:<country>:<number>.
    person          text        NOT NULL,
    candidate       jsonb       NOT NULL,
    profession_id   uuid        NOT NULL,
    nqf_level       integer     NOT NULL CHECK (nqf_level BETWEEN 1 AND 8),
    earlier_document_valid_until date,
    knowledge       text        NOT NULL DEFAULT '',
    skills          text        NOT NULL DEFAULT '',
    attachments     jsonb       NOT NULL DEFAULT '[]',
    language        text        NOT NULL,
    mode            text        NOT NULL,
    channel         text        NOT NULL,
    voucher_id      uuid,
    consent_version text        NOT NULL,
    consent_given_at timestamptz NOT NULL,
    registered_on   date        NOT NULL,
    stage           text        NOT NULL,
    -- The day the stage began: what its deadline counts from.
    since           date        NOT NULL,
    remarks         text,
    schedule        jsonb,
    result          jsonb,
    appeal          jsonb,
    document_serial text,
    steps           jsonb       NOT NULL,
    version         bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_center ON applications (center_number, registered_on DESC, id DESC);
CREATE INDEX applications_person ON applications (person, registered_on DESC, id DESC);
CREATE INDEX applications_open ON applications (stage)
    WHERE stage NOT IN ('refused', 'appeal_rejected', 'document_issued');

-- What candidate and center send each other through the platform (Rules p. 4-6, 17-22):
-- delivered when sent, read when the recipient opens it.
CREATE TABLE notices (
    id              uuid        PRIMARY KEY,
    application_id  uuid        NOT NULL REFERENCES applications (id),
    center_number   integer     NOT NULL,
    person          text        NOT NULL,
    recipient       text        NOT NULL CHECK (recipient IN ('center', 'candidate')),
    kind            text        NOT NULL,
    text            text        NOT NULL,
    delivered_at    timestamptz NOT NULL,
    read_at         timestamptz
);
CREATE INDEX notices_of_candidates ON notices (person, delivered_at DESC, id DESC)
    WHERE recipient = 'candidate';
CREATE INDEX notices_of_centers ON notices (center_number, delivered_at DESC, id DESC)
    WHERE recipient = 'center';
