-- One row per OpenPGP key (primary fingerprint): the cleaned key as uploaded and merged (full), and what is served
-- (published: only confirmed user IDs), kept ready so a lookup is one indexed read.
CREATE TABLE keyserver_key (
    fingerprint    VARCHAR(64) PRIMARY KEY,       -- upper-case hex: 40 digits for v4, 64 for v6
    key_id         VARCHAR(16) NOT NULL,
    version        INTEGER NOT NULL,
    algorithm      INTEGER NOT NULL,
    bits           INTEGER NOT NULL,
    key_created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at     TIMESTAMP WITH TIME ZONE,
    revoked        BOOLEAN NOT NULL,
    full_key       BYTEA NOT NULL,
    published_key  BYTEA NOT NULL,
    uploaded_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX keyserver_key_key_id ON keyserver_key (key_id);

-- Subkeys, so a lookup by a subkey's ID or fingerprint finds its key. One subkey may be bound to several keys (an
-- encryption subkey needs no back-signature), and must never block any of them.
CREATE TABLE keyserver_subkey (
    fingerprint     VARCHAR(64) NOT NULL,
    key_id          VARCHAR(16) NOT NULL,
    key_fingerprint VARCHAR(64) NOT NULL REFERENCES keyserver_key (fingerprint) ON DELETE CASCADE,
    PRIMARY KEY (fingerprint, key_fingerprint)
);
CREATE INDEX keyserver_subkey_fingerprint ON keyserver_subkey (fingerprint);
CREATE INDEX keyserver_subkey_key_id ON keyserver_subkey (key_id);

-- The user IDs of a key; published once the mailbox confirmed the token mailed to it.
CREATE TABLE keyserver_user_id (
    key_fingerprint VARCHAR(64) NOT NULL REFERENCES keyserver_key (fingerprint) ON DELETE CASCADE,
    user_id         VARCHAR(2000) NOT NULL,
    address         VARCHAR(320),
    domain          VARCHAR(255),
    wkd_hash        VARCHAR(32),                   -- z-base-32 of SHA-1 of the lower-cased local part (WKD)
    published_at    TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (key_fingerprint, user_id)
);
CREATE INDEX keyserver_user_id_address ON keyserver_user_id (address);
CREATE INDEX keyserver_user_id_wkd ON keyserver_user_id (domain, wkd_hash);

-- Single-use tokens mailed to an address, stored as SHA-256 hashes: PUBLISH (one key's user IDs for the address) or
-- UNPUBLISH (every key's user IDs for the address; no key named).
CREATE TABLE keyserver_token (
    token_hash      VARCHAR(64) PRIMARY KEY,
    purpose         VARCHAR(10) NOT NULL,
    key_fingerprint VARCHAR(64) REFERENCES keyserver_key (fingerprint) ON DELETE CASCADE,
    address         VARCHAR(320) NOT NULL,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at         TIMESTAMP WITH TIME ZONE
);
CREATE INDEX keyserver_token_address ON keyserver_token (address, created_at);

-- Fingerprints an administrator blocked: never stored or served again.
CREATE TABLE keyserver_blocked (
    fingerprint  VARCHAR(64) PRIMARY KEY,
    blocked_by   VARCHAR(320) NOT NULL,
    blocked_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    reason       VARCHAR(1000) NOT NULL
);
