-- Issuing CAs serve one purpose each: kind ISSUING (mailboxes) or TLS_ISSUING (the mail hosts' TLS servers).
ALTER TABLE ca_issuer ALTER COLUMN kind SET DATA TYPE VARCHAR(16);
