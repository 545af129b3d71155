-- Procedures on the platform that ended in a pass or an upheld appeal, as the recognition
-- service publishes them (Rules p. 17-18, 23): a document naming one is checked against it
-- (center, holder, profession, level, day) and linked to it, once.
CREATE TABLE known_procedures (
    application_id          uuid    PRIMARY KEY,
    center_number           integer NOT NULL,
    profession_id           uuid    NOT NULL,
    nqf_level               integer NOT NULL,
    held_on                 date    NOT NULL,
    protocol_number         text    NOT NULL,
    protocol_date           date    NOT NULL,
    holder_iin              text    NOT NULL,
    holder_document_number  text    NOT NULL,
    holder_document_country text    NOT NULL,
    voucher_id              text    NOT NULL,
    -- The document registered after it.
    document_id             uuid    UNIQUE
);

-- The procedure a document follows, when it was recorded on the platform; one document each.
ALTER TABLE documents ADD COLUMN procedure_id uuid UNIQUE;
