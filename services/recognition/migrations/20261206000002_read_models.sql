-- What the procedure hears of the registers it does not keep: the register of professions
-- and centers' certificates with their scope, so that an application goes only to a center
-- accredited for the profession and level on the day it is registered.
CREATE TABLE registered_professions (
    profession_id uuid      PRIMARY KEY,
    active        boolean   NOT NULL,
    nqf_levels    integer[] NOT NULL,
    version       bigint    NOT NULL
);

CREATE TABLE known_certificates (
    certificate_id uuid    PRIMARY KEY,
    center_number  integer NOT NULL,
    status         text    NOT NULL,
    status_since   date    NOT NULL,
    valid_from     date    NOT NULL,
    valid_until    date    NOT NULL,
    -- [{"profession_id": "...", "nqf_levels": [3, 4]}]
    scope          jsonb   NOT NULL
);
CREATE INDEX known_certificates_center ON known_certificates (center_number);
