-- The release of a recovery, signed by the integrity key over who asked, for which mailbox, and which agents approved:
-- a download checks it, so a request row edited to RELEASED (or to another requester) delivers nothing.
ALTER TABLE escrow_recovery ADD COLUMN release_key_id VARCHAR(64);
ALTER TABLE escrow_recovery ADD COLUMN release_signature BYTEA;
