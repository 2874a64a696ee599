-- What the gateway does for recipients, at three levels: the organisation ('*'), a domain ('example.org'), a mailbox
-- ('bob@example.org'). The most specific row that exists decides; a level without a row inherits the next one.
CREATE TABLE gateway_policy (
    scope           VARCHAR(320) PRIMARY KEY,
    encryption      VARCHAR(16) NOT NULL,     -- any | smime | pgp | password | none
    without_key     VARCHAR(16) NOT NULL,     -- clear | password | hold | reject
    password_format VARCHAR(16) NOT NULL,     -- cms | openpgp
    updated_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_by      VARCHAR(200) NOT NULL
);

-- Passphrases for mail to people outside without a key: set by a sender for a recipient or a domain, or by an
-- admin for everyone ('*'). Sealed: AES-256-GCM under a key wrapped to an RSA key that never leaves the vault; the
-- row's sender and recipient are bound into the seal, so a sealed value moved to another row does not open.
CREATE TABLE gateway_passphrase (
    sender     VARCHAR(320) NOT NULL,
    recipient  VARCHAR(320) NOT NULL,
    sealed     BYTEA NOT NULL,
    set_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    set_by     VARCHAR(200) NOT NULL,
    PRIMARY KEY (sender, recipient)
);
