-- A published event leaves the outbox for this narrower table, where it is kept for
-- OUTBOX_RETENTION (nsk_events::housekeeping) to show what left and when. Deleting the row
-- writes a few bytes; rewriting it to mark it sent wrote its whole payload again and cost
-- the relay more than the broker's acknowledgement. The payload is not kept: the broker has it.
CREATE TABLE outbox_sent (
    seq          bigint      PRIMARY KEY,
    event_id     uuid        NOT NULL,
    topic        text        NOT NULL,
    message_key  text        NOT NULL,
    event_type   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

-- What was marked sent in the outbox before moves here; the outbox holds only what waits.
INSERT INTO outbox_sent (seq, event_id, topic, message_key, event_type, created_at, published_at)
SELECT seq, event_id, topic, message_key, event_type, created_at, published_at
  FROM outbox WHERE published_at IS NOT NULL;
DELETE FROM outbox WHERE published_at IS NOT NULL;
