-- Public verification, counted per day and nothing more: who checked whom is not the
-- registry's to know (the W3C status-list advice: an issuer should not learn who verifies).
CREATE TABLE verification_counts (
    day   date   PRIMARY KEY,
    count bigint NOT NULL
);
