-- The trail in lanes: sixteen chains instead of one. With one head, every write of a service
-- queued on that row from its audit entry until its commit had reached the disk, so the
-- service committed one transaction at a time whatever the number of centers issuing at once
-- (make bench: 701 documents/s for 20 centers against 3,177 for the same transaction without
-- the trail). Now a transaction appends to the lane of its connection and locks only that
-- lane's head: up to sixteen commits are in flight together, each lane still chained entry by
-- entry and verified as before.
--
-- `seq` numbers every entry of the service in the order appended (from a sequence: an act
-- rolled back leaves a number unused); `lane` and `lane_seq` place it in its chain, where the
-- numbers run 1, 2, 3... without a gap and the hash covers `lane_seq`. The entries already
-- written are lane 1 with `lane_seq` = `seq`, so their hashes stand as they are. Each lane
-- starts from a hash of its own ("nsk audit lane N"; lane 1 from the empty one, as before), so
-- that no lane's entries read as another's.
ALTER TABLE audit_head DROP CONSTRAINT audit_head_id_check;
ALTER TABLE audit_head ADD CONSTRAINT audit_head_lane CHECK (id BETWEEN 1 AND 16);
INSERT INTO audit_head (id, seq, hash)
SELECT lane, 0, sha256(convert_to('nsk audit lane ' || lane, 'UTF8'))
  FROM generate_series(2, 16) AS lane;

ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ADD COLUMN lane smallint NOT NULL DEFAULT 1,
                      ADD COLUMN lane_seq bigint;
UPDATE audit_log SET lane_seq = seq;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
ALTER TABLE audit_log ALTER COLUMN lane_seq SET NOT NULL,
                      ALTER COLUMN lane DROP DEFAULT,
                      ADD CONSTRAINT audit_log_lane_link UNIQUE (lane, lane_seq);

CREATE SEQUENCE audit_log_seq;
SELECT setval('audit_log_seq', COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false);
