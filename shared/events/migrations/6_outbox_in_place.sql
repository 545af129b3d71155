-- Events stay where they were written. The relay no longer moves each sent event (envelope and
-- all) to outbox_published; it records how far it got in one row (outbox_relay), by the
-- transactions' snapshots, as PgQ does:
--
--   every event whose transaction `sent` sees is sent; of those `target` sees and `sent` does
--   not, the ones numbered up to `through` are sent too.
--
-- An event committed late with a number below the ones sent (its transaction took the number,
-- then others committed first) is not missed: `sent` does not see its transaction, so it comes
-- with the first snapshot that does. `xid` is the writing transaction's (top-level) id.
ALTER TABLE outbox ADD COLUMN xid xid8;

-- What was sent is sent for every snapshot (xid 1 precedes every transaction); what waits gets
-- the id of this transaction, which the first snapshot below does not see.
INSERT INTO outbox (seq, event_id, topic, message_key, event_type, envelope, traceparent,
                    tracestate, created_at, published_at, xid)
SELECT seq, event_id, topic, message_key, event_type, envelope, traceparent, tracestate,
       created_at, published_at, '1'
  FROM outbox_published;
UPDATE outbox SET xid = CASE WHEN published_at IS NULL THEN pg_current_xact_id() ELSE '1' END
 WHERE xid IS NULL;

ALTER TABLE outbox ALTER COLUMN xid SET DEFAULT pg_current_xact_id(),
                   ALTER COLUMN xid SET NOT NULL;
DROP INDEX outbox_unpublished;
-- The events of the transactions a snapshot range holds, for the relay and the backlog.
CREATE INDEX outbox_xid ON outbox (xid);

DROP VIEW outbox_events;
DROP TABLE outbox_published;
ALTER TABLE outbox DROP COLUMN published_at;

CREATE TABLE outbox_relay (
    only_row boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    sent     pg_snapshot NOT NULL,
    target   pg_snapshot,
    through  bigint      NOT NULL DEFAULT 0,
    moved_at timestamptz NOT NULL DEFAULT now()
);
-- Sees xid 1 only: the events sent before, not the ones waiting.
INSERT INTO outbox_relay (sent) VALUES ('2:2:');
-- One row, known to the planner from the start (else it guesses hundreds, and a count of the
-- backlog looks costly enough to be compiled).
ANALYZE outbox_relay;

-- Whether each event is sent, by the relay's record.
CREATE FUNCTION outbox_is_sent(event_xid xid8, event_seq bigint, relay outbox_relay)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_visible_in_snapshot(event_xid, relay.sent)
        OR (relay.target IS NOT NULL AND pg_visible_in_snapshot(event_xid, relay.target)
            AND event_seq <= relay.through)
$$;

-- The events waiting to be sent (committed, not yet sent): for the backlog's gauges, the
-- operator and the tests.
CREATE VIEW outbox_waiting AS
SELECT o.*
  FROM outbox o, outbox_relay r
 WHERE o.xid >= pg_snapshot_xmin(r.sent)
   AND NOT outbox_is_sent(o.xid, o.seq, r);

-- Every event the service wrote, and whether it is sent.
CREATE VIEW outbox_events AS
SELECT o.seq, o.event_id, o.topic, o.message_key, o.event_type, o.envelope, o.traceparent,
       o.tracestate, o.created_at, outbox_is_sent(o.xid, o.seq, r) AS sent
  FROM outbox o, outbox_relay r;
