-- Published events leave the outbox for outbox_published, whole (envelope and all), in the
-- relay's statement that records them sent: a DELETE and an INSERT cost the database about
-- two thirds of what an UPDATE of published_at in place does (a 700-byte row copied anyway,
-- but no index entries for the old table's keys), and the outbox keeps only what waits.
-- outbox_published keeps what left and when for OUTBOX_RETENTION (nsk_events::housekeeping).
CREATE TABLE outbox_published (
    seq          bigint      PRIMARY KEY,
    event_id     uuid        NOT NULL,
    topic        text        NOT NULL,
    message_key  text        NOT NULL,
    event_type   text        NOT NULL,
    envelope     bytea       NOT NULL,
    traceparent  text,
    tracestate   text,
    created_at   timestamptz NOT NULL,
    published_at timestamptz NOT NULL
);

INSERT INTO outbox_published
SELECT seq, event_id, topic, message_key, event_type, envelope, traceparent, tracestate,
       created_at, published_at
  FROM outbox WHERE published_at IS NOT NULL;
DELETE FROM outbox WHERE published_at IS NOT NULL;

-- Every event the service wrote, waiting (published_at NULL) or published: for an operator
-- asking what a service said about an aggregate, and for the tests.
CREATE VIEW outbox_events AS
SELECT seq, event_id, topic, message_key, event_type, envelope, traceparent, tracestate,
       created_at, published_at
  FROM outbox
UNION ALL
SELECT seq, event_id, topic, message_key, event_type, envelope, traceparent, tracestate,
       created_at, published_at
  FROM outbox_published;
