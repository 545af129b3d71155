-- Mutating requests already applied, so that a retried request is applied once.
CREATE TABLE applied_requests (
    request_id  text        PRIMARY KEY,
    method      text        NOT NULL,
    resource_id uuid        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
