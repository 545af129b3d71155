-- Idempotency keys of every service, in one shape: a request id is the caller's own (the
-- token's subject), given to one method, for one content (its digest); a retry finds the
-- resource it made. Takes over from the `applied_requests` table each service made for itself,
-- whose ids had no caller and no content and cannot be carried over.
CREATE TABLE request_keys (
    caller      text        NOT NULL,
    request_id  text        NOT NULL,
    method      text        NOT NULL,
    digest      bytea       NOT NULL,
    resource_id uuid        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, request_id)
);

CREATE INDEX request_keys_applied_at ON request_keys (applied_at);

DROP TABLE IF EXISTS applied_requests;
