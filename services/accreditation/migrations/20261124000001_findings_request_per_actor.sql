-- A request id is its caller's own: two officers may use the same one for their findings.
ALTER TABLE findings DROP CONSTRAINT findings_request_id_key;
CREATE UNIQUE INDEX findings_actor_request ON findings (actor, request_id);
