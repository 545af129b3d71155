-- Every status each certificate has had, with the day it took effect: the public register
-- shows this history (Art. 23.3.1 keeps the case file confidential, not the register). Kept
-- by a trigger so that no path that changes a certificate can forget it.
CREATE TABLE certificate_status_history (
    id             bigserial PRIMARY KEY,
    certificate_id uuid      NOT NULL REFERENCES certificates (id),
    status         text      NOT NULL,
    since          date      NOT NULL
);
CREATE INDEX certificate_status_history_certificate ON certificate_status_history (certificate_id, id);

CREATE FUNCTION record_certificate_status() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.status_since IS DISTINCT FROM OLD.status_since THEN
        INSERT INTO certificate_status_history (certificate_id, status, since)
        VALUES (NEW.id, NEW.status, NEW.status_since);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER certificate_status_history
AFTER INSERT OR UPDATE OF status, status_since ON certificates
FOR EACH ROW EXECUTE FUNCTION record_certificate_status();

-- Certificates from before: their first day as active, and the status they have now.
INSERT INTO certificate_status_history (certificate_id, status, since)
SELECT id, 'active', valid_from FROM certificates;
INSERT INTO certificate_status_history (certificate_id, status, since)
SELECT id, status, status_since FROM certificates WHERE status <> 'active';
