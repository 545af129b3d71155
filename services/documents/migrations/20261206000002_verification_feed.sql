-- Every change to a document's row announces its serial number on the channel
-- `nsk_verification` as it commits, whoever made it (the service, an operator's SQL): the
-- registry forwards the channel to the gateway, whose verification cache forgets the serial.
-- PostgreSQL delivers notifications after commit, in commit order. A new document needs no
-- announcement: nobody has its answer yet.
CREATE FUNCTION announce_verification_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('nsk_verification', OLD.serial_number);
    ELSE
        PERFORM pg_notify('nsk_verification', NEW.serial_number);
        IF NEW.serial_number IS DISTINCT FROM OLD.serial_number THEN
            PERFORM pg_notify('nsk_verification', OLD.serial_number);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER documents_announce_verification_change
    AFTER UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION announce_verification_change();
