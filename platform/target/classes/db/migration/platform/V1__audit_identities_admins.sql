-- Audit log: append-only, chained by SHA-256 (hex), with signed checkpoints.
CREATE TABLE audit_record (
    seq          BIGINT PRIMARY KEY,
    recorded_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    actor        VARCHAR(320) NOT NULL,
    action       VARCHAR(100) NOT NULL,
    target       VARCHAR(1000) NOT NULL,
    outcome      VARCHAR(10) NOT NULL,
    detail       VARCHAR(2000) NOT NULL,
    prev_hash    CHAR(64) NOT NULL,
    hash         CHAR(64) NOT NULL
);

-- The chain's head: one row, locked by each writer (FOR UPDATE), so several nodes append to one chain.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  CHAR(64) NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_checkpoint (
    seq        BIGINT PRIMARY KEY,
    hash       CHAR(64) NOT NULL,
    signed_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    key_uri    VARCHAR(500) NOT NULL,
    algorithm  VARCHAR(100) NOT NULL,
    signature  VARCHAR(2000) NOT NULL
);

CREATE TABLE mailbox_identity (
    address      VARCHAR(320) PRIMARY KEY,
    owner        VARCHAR(320) NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    verified_at  TIMESTAMP WITH TIME ZONE
);
CREATE INDEX mailbox_identity_owner ON mailbox_identity (owner);

-- Only the SHA-256 of a token is stored: a copy of the database does not hold usable tokens.
CREATE TABLE verification_token (
    token_hash  CHAR(64) PRIMARY KEY,
    address     VARCHAR(320) NOT NULL REFERENCES mailbox_identity (address) ON DELETE CASCADE,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at     TIMESTAMP WITH TIME ZONE
);
CREATE INDEX verification_token_address ON verification_token (address);

CREATE TABLE admin_account (
    name           VARCHAR(100) PRIMARY KEY,
    password_hash  VARCHAR(300) NOT NULL,
    roles          VARCHAR(200) NOT NULL,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    disabled       BOOLEAN NOT NULL
);
