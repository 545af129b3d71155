-- Centers' TLS client certificates (mutual TLS) are credentials beside the API keys: listed,
-- expiring and revoked the same way. Their prefix is "crt_" and eight hex digits of the
-- fingerprint; where a key keeps its Argon2id hash, a certificate keeps "sha256:" and the
-- SHA-256 of its DER (a fingerprint, not a secret: what proves the center is the private key
-- the TLS handshake uses).
COMMENT ON COLUMN center_api_keys.secret_hash IS
    'a key: the Argon2id PHC string of its secret; a client certificate: sha256:<hex of its DER>';
COMMENT ON COLUMN center_api_keys.prefix IS
    'nsk_<8 hex> for a key, crt_<first 8 hex of the fingerprint> for a client certificate';
