-- API keys of recognition centers: machine credentials the NCE issues, each bound to one center.
-- Only an Argon2id hash of the secret is kept (PHC string); the prefix, shown in lists, finds
-- the row without hashing anything.
CREATE TABLE center_api_keys (
    id             uuid        PRIMARY KEY,
    center_number  integer     NOT NULL REFERENCES centers (number),
    prefix         text        NOT NULL UNIQUE,
    secret_hash    text        NOT NULL,
    label          text        NOT NULL,
    created_at     timestamptz NOT NULL,
    created_by     text        NOT NULL,
    expires_at     timestamptz NOT NULL,
    last_used_at   timestamptz,
    revoked_at     timestamptz,
    revoked_by     text,
    revoke_reason  text,
    -- The key that replaced this one in a rotation.
    replaced_by    uuid        REFERENCES center_api_keys (id),
    -- Counts the key's changes: the version its events carry.
    version        bigint      NOT NULL DEFAULT 1
);
CREATE INDEX center_api_keys_center ON center_api_keys (center_number, created_at DESC);
