-- One-time enrollment secrets: proof that whoever enrolls over EST or CMP holds the mailbox. Made by an ra-officer
-- (handed over by them) or mailed to a verified mailbox on request. The secret itself is kept twice, never in clear:
-- as a SHA-256 digest (EST's HTTP Basic check needs no vault) and sealed through the vault (CMP's MAC needs the
-- secret itself; the row's id and mailbox are bound into the seal).
CREATE TABLE enroll_secret (
    id          VARCHAR(32) PRIMARY KEY,
    mailbox     VARCHAR(320) NOT NULL,
    digest      BYTEA NOT NULL,
    sealed      BYTEA NOT NULL,
    origin      VARCHAR(16) NOT NULL,     -- officer | mail
    created_by  VARCHAR(200) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    used_at     TIMESTAMP WITH TIME ZONE,
    used_by     VARCHAR(64)              -- the protocol that spent it: est | cmp | ...
);
CREATE INDEX enroll_secret_mailbox ON enroll_secret (mailbox, created_at);
