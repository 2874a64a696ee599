-- CMP transactions (RFC 4210 / RFC 9483): a transaction id may start one transaction only (a replayed or reused id
-- is refused with transactionIdInUse, on whichever node it lands), and certificates issued without implicit
-- confirmation wait here for the client's certConf. Rows are dropped a day after the transaction started. genm keeps
-- no row: it reads public information and may come unauthenticated.
CREATE TABLE cmp_transaction (
    id           VARCHAR(128) PRIMARY KEY,  -- hex of the transactionID
    mailbox      VARCHAR(320) NOT NULL,     -- who the request was authenticated as
    protection   VARCHAR(16) NOT NULL,      -- mac | signature
    secret_id    VARCHAR(32),               -- the enrollment secret a MAC-protected transaction spent
    state        VARCHAR(16) NOT NULL,      -- open | confirm | done
    certificates VARCHAR(2000),             -- certReqId=serialHex,... of the certificates awaiting certConf
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX cmp_transaction_expiry ON cmp_transaction (expires_at);
