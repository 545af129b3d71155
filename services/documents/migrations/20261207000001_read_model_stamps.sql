-- How far each read model the registry keeps of another register has moved: a number every
-- statement that changes it raises, whoever runs it (the consumers, a migration, an
-- operator's SQL). A registration judged on the read models held in memory names the numbers
-- they were read at, and the statement that writes the document writes it only if they still
-- hold — so what memory holds is never older than what the registration rests on.
CREATE TABLE read_model_stamps (
    name  text   PRIMARY KEY,
    stamp bigint NOT NULL DEFAULT 0
);
INSERT INTO read_model_stamps (name) VALUES ('professions'), ('centers');

CREATE FUNCTION raise_read_model_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE read_model_stamps SET stamp = stamp + 1 WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$;

CREATE TRIGGER registered_profession_versions_stamp
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registered_profession_versions
    FOR EACH STATEMENT EXECUTE FUNCTION raise_read_model_stamp('professions');
CREATE TRIGGER known_centers_stamp
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON known_centers
    FOR EACH STATEMENT EXECUTE FUNCTION raise_read_model_stamp('centers');
CREATE TRIGGER known_certificates_stamp
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON known_certificates
    FOR EACH STATEMENT EXECUTE FUNCTION raise_read_model_stamp('centers');
CREATE TRIGGER known_certificate_statuses_stamp
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON known_certificate_statuses
    FOR EACH STATEMENT EXECUTE FUNCTION raise_read_model_stamp('centers');

-- Appendix 2, level 6: a center's running number has eight digits. The counter cannot pass
-- them: the statement that would take number 100,000,000 fails whole, with whatever else it
-- wrote (the request's record, with a registration in one statement).
ALTER TABLE center_sequences
    ADD CONSTRAINT center_sequences_eight_digits CHECK (last_sequence <= 99999999);
