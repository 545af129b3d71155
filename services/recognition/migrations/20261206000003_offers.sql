-- What centers offer (Art. 17.2.1, 17.2.7): per profession and level of their accredited
-- scope, with price, languages, modes, venue, the documents asked for and retake terms.
CREATE TABLE offers (
    id                 uuid        PRIMARY KEY,
    center_number      integer     NOT NULL,
    profession_id      uuid        NOT NULL,
    nqf_level          integer     NOT NULL CHECK (nqf_level BETWEEN 1 AND 8),
    price_tenge        integer     NOT NULL CHECK (price_tenge > 0),
    languages          text[]      NOT NULL,
    modes              text[]      NOT NULL,
    region             text        NOT NULL,
    venue              text        NOT NULL,
    documents_required text[]      NOT NULL,
    retake_terms       text        NOT NULL,
    lead_working_days  integer     NOT NULL CHECK (lead_working_days BETWEEN 10 AND 120),
    status             text        NOT NULL CHECK (status IN ('active', 'withdrawn')),
    published_on       date        NOT NULL,
    version            bigint      NOT NULL
);
CREATE INDEX offers_search ON offers (profession_id, nqf_level, price_tenge) WHERE status = 'active';
CREATE INDEX offers_center ON offers (center_number);
