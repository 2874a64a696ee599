-- ACME (RFC 8555) with the email-reply-00 challenge (RFC 8823). An order names one mailbox, so it carries its one
-- authorization and its one challenge in the same row: one read per request, one URL id for all three.
CREATE TABLE acme_account (
    id          VARCHAR(32) PRIMARY KEY,
    thumbprint  VARCHAR(64) NOT NULL UNIQUE,   -- RFC 7638 JWK thumbprint, base64url
    jwk         VARCHAR(4000) NOT NULL,        -- the account's public key as its JWK
    contact     VARCHAR(2000),
    status      VARCHAR(16) NOT NULL,          -- valid | deactivated
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE acme_order (
    id                VARCHAR(32) PRIMARY KEY,
    account_id        VARCHAR(32) NOT NULL REFERENCES acme_account (id),
    mailbox           VARCHAR(320) NOT NULL,
    status            VARCHAR(16) NOT NULL,    -- pending | ready | processing (while finalizing) | valid | invalid
    authz_status      VARCHAR(16) NOT NULL,    -- pending | valid | invalid | deactivated
    challenge_status  VARCHAR(16) NOT NULL,    -- pending | processing | valid | invalid
    token_part1       VARCHAR(64) NOT NULL UNIQUE,  -- travels only in the challenge mail's Subject
    token_part2       VARCHAR(64) NOT NULL,    -- the challenge object's token
    message_id        VARCHAR(200) NOT NULL,   -- of the challenge mail
    reply_verified    BOOLEAN NOT NULL DEFAULT FALSE,
    validated_at      TIMESTAMP WITH TIME ZONE,
    error             VARCHAR(2000),           -- the problem document that made the challenge invalid
    serial            VARCHAR(64),             -- of the issued certificate
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at        TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX acme_order_account ON acme_order (account_id, created_at);
