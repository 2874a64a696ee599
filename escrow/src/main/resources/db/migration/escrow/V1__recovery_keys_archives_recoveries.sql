-- Escrow's recovery keys: an RSA key in the vault that archives are sealed to (its kra-transport certificate names it),
-- and the vault key that signs every archive row. Neither leaves the vault; the rows name them.
CREATE TABLE escrow_recovery_key (
    id             VARCHAR(64) PRIMARY KEY,
    state          VARCHAR(10) NOT NULL,          -- ACTIVE (new archives are sealed to it) or RETIRED (still opens old ones)
    key_uri        VARCHAR(500) NOT NULL,
    certificate    BYTEA NOT NULL,
    integrity_key_uri VARCHAR(500) NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL
);

-- One archived decryption key: sealed (CMS AuthEnvelopedData) to a recovery key, and signed over every column that
-- says whose it is, so a changed or moved row is refused at recovery.
CREATE TABLE escrow_archive (
    id                 VARCHAR(36) PRIMARY KEY,
    mailbox            VARCHAR(320) NOT NULL,
    certificate_serial VARCHAR(64) NOT NULL UNIQUE,
    recovery_key_id    VARCHAR(64) NOT NULL REFERENCES escrow_recovery_key (id),
    origin             VARCHAR(10) NOT NULL,      -- SERVER (generated here) or CLIENT (submitted encrypted to the transport certificate)
    key_spec           VARCHAR(20) NOT NULL,
    public_key_sha256  BYTEA NOT NULL,
    sealed             BYTEA NOT NULL,
    created_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    created_by         VARCHAR(320) NOT NULL,
    signature          BYTEA NOT NULL
);
CREATE INDEX escrow_archive_mailbox ON escrow_archive (mailbox);

-- A request to recover a mailbox's keys; released after enough approvals, delivered once.
CREATE TABLE escrow_recovery (
    id            VARCHAR(36) PRIMARY KEY,
    mailbox       VARCHAR(320) NOT NULL,
    reason        VARCHAR(1000) NOT NULL,
    requested_by  VARCHAR(320) NOT NULL,
    state         VARCHAR(10) NOT NULL,           -- PENDING, RELEASED, DENIED, EXPIRED, DELIVERED
    approvals_needed INTEGER NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    closed_at     TIMESTAMP WITH TIME ZONE
);
CREATE INDEX escrow_recovery_state ON escrow_recovery (state, expires_at);

CREATE TABLE escrow_decision (
    recovery_id  VARCHAR(36) NOT NULL REFERENCES escrow_recovery (id),
    agent        VARCHAR(320) NOT NULL,
    approved     BOOLEAN NOT NULL,
    comment      VARCHAR(1000),
    decided_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (recovery_id, agent)
);
