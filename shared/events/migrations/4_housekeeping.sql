-- Housekeeping (nsk_events::housekeeping): sent outbox rows and the ids of events applied long
-- ago are pruned, or both tables grow forever. What a pruned id proved is kept per partition
-- as a watermark: a partition is consumed in order and its offset committed only after each
-- event is handled, so every event of it up to the highest offset pruned was handled; one
-- redelivered from there (a group whose committed offsets expired, re-reading a topic from
-- the start) is still recognised as a duplicate.
CREATE TABLE processed_watermarks (
    consumer  text    NOT NULL,
    topic     text    NOT NULL,
    partition integer NOT NULL,
    "offset"  bigint  NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);

CREATE INDEX processed_events_age ON processed_events (processed_at);
