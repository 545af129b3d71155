-- The version of an aggregate that has no version of its own (a center across its
-- certificates, an application, a voucher): the count of the changes announced for it, one
-- more with each event, so that its events are numbered 1, 2, 3 in the order they committed.
CREATE TABLE aggregate_versions (
    kind    text   NOT NULL,
    id      text   NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (kind, id)
);
