-- The SHA-256 of each certificate's public key in canonical form (KeyFamily.canonicalKeyHash, as ca_compromised_key),
-- so that a key revoked for compromise finds every other certificate that carries it (S/MIME BR 4.9.1.1). Written at
-- issuance; rows from before this column are filled in the background after start ('-' for a key that cannot be read).
ALTER TABLE ca_certificate ADD COLUMN key_hash VARCHAR(64);
CREATE INDEX ca_certificate_key_hash ON ca_certificate (key_hash);
