-- Public keys revoked for key compromise, which the CA refuses to certify again (S/MIME BR 6.1.1.3), by the SHA-256
-- of the key's canonical form (KeyFamily.canonicalKeyHash): filled by the revocation itself; keys revoked before this
-- table existed are added when the CA starts.
CREATE TABLE ca_compromised_key (
    key_hash    VARCHAR(64) PRIMARY KEY,
    serial      VARCHAR(64) NOT NULL REFERENCES ca_certificate (serial),
    revoked_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
