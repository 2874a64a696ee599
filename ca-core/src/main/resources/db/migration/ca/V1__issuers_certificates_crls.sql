-- Issuing CAs (and the root) of this CA. The key stays in the vault; key_uri names it (none for an external root).
CREATE TABLE ca_issuer (
    id             VARCHAR(64) PRIMARY KEY,
    kind           VARCHAR(10) NOT NULL,          -- ROOT or ISSUING
    state          VARCHAR(10) NOT NULL,          -- PENDING (CSR made, awaiting the signed certificate), ACTIVE, RETIRED
    key_uri        VARCHAR(500),
    subject        VARCHAR(1000) NOT NULL,
    certificate    BYTEA,
    csr            BYTEA,
    created_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    crl_number     BIGINT NOT NULL,               -- last CRL number used (full and delta share one sequence, RFC 5280 5.2.3)
    ocsp_key_uri   VARCHAR(500),
    ocsp_certificate BYTEA
);

-- A mailbox's signing and encryption certificates, listed, renewed and revoked together.
CREATE TABLE ca_pair (
    id          VARCHAR(36) PRIMARY KEY,
    mailbox     VARCHAR(320) NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX ca_pair_mailbox ON ca_pair (mailbox);

-- Every certificate issued. The serial (lower-case hex) is unique across the store, whatever the issuer.
CREATE TABLE ca_certificate (
    serial             VARCHAR(64) PRIMARY KEY,
    issuer_id          VARCHAR(64) NOT NULL REFERENCES ca_issuer (id),
    profile            VARCHAR(100) NOT NULL,
    mailbox            VARCHAR(320),
    subject            VARCHAR(1000) NOT NULL,
    not_before         TIMESTAMP WITH TIME ZONE NOT NULL,
    not_after          TIMESTAMP WITH TIME ZONE NOT NULL,
    der                BYTEA NOT NULL,
    pair_id            VARCHAR(36) REFERENCES ca_pair (id),
    requested_by       VARCHAR(320) NOT NULL,
    issued_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at         TIMESTAMP WITH TIME ZONE,
    revocation_reason  INTEGER,
    revoked_by         VARCHAR(320),
    notices_sent       INTEGER NOT NULL           -- how many of the expiry notices have gone out
);
CREATE INDEX ca_certificate_mailbox ON ca_certificate (mailbox);
CREATE INDEX ca_certificate_pair ON ca_certificate (pair_id);
CREATE INDEX ca_certificate_revoked ON ca_certificate (issuer_id, revoked_at);
CREATE INDEX ca_certificate_not_after ON ca_certificate (not_after);

-- The CRLs last signed for each issuer: one full and one delta (base_number set).
CREATE TABLE ca_crl (
    issuer_id    VARCHAR(64) NOT NULL REFERENCES ca_issuer (id),
    delta        BOOLEAN NOT NULL,
    number       BIGINT NOT NULL,
    base_number  BIGINT,
    this_update  TIMESTAMP WITH TIME ZONE NOT NULL,
    next_update  TIMESTAMP WITH TIME ZONE NOT NULL,
    der          BYTEA NOT NULL,
    PRIMARY KEY (issuer_id, delta)
);
