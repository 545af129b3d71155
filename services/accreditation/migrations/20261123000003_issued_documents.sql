-- What each center issued, as the registry of documents publishes it: a revocation on ground 4
-- may name only documents of the revoked center (Art. 26.2.4), and the NCE monitors each
-- center's results (Art. 25.3). No personal data: the events carry none.
CREATE TABLE issued_documents (
    serial_number  text    PRIMARY KEY,
    document_id    uuid    NOT NULL UNIQUE,
    center_number  integer NOT NULL,
    profession_id  uuid    NOT NULL,
    procedure_date date,
    issue_date     date    NOT NULL,
    issued_late    boolean NOT NULL,
    cancelled_on   date
);
CREATE INDEX issued_documents_center ON issued_documents (center_number, issue_date);
