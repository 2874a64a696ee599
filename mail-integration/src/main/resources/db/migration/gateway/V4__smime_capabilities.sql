-- What S/MIME clients announced they read (SMIMECapabilities, RFC 8551 2.5.2) in signed mail that passed the gateway:
-- per address and per CA that issued the signer's certificate, whose certificates for the address they apply to.
-- Only from signatures that verified with a certificate naming the From address; a newer signingTime replaces an older.
CREATE TABLE gateway_smime_capabilities (
    address       VARCHAR(320) NOT NULL,
    issuer        VARCHAR(1024) NOT NULL,   -- the signer certificate's issuer name (RFC 4514)
    capabilities  BYTEA NOT NULL,           -- the DER SMIMECapabilities sequence
    signing_time  TIMESTAMP WITH TIME ZONE NOT NULL,
    signer_sha256 VARCHAR(64) NOT NULL,     -- the signer certificate's SHA-256 fingerprint, hex
    recorded_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (address, issuer)
);
