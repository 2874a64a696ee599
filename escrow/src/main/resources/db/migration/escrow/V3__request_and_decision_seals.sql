-- A recovery request is sealed by the integrity key when it is made, and each agent's decision when it is recorded:
-- a row forged in the database before the release (an approval nobody gave, fewer approvals needed, another
-- requester) no longer counts. Requests made before these columns existed have no seals and cannot be decided or
-- released: make them again.
ALTER TABLE escrow_recovery ADD COLUMN request_key_id VARCHAR(64);
ALTER TABLE escrow_recovery ADD COLUMN request_signature BYTEA;
ALTER TABLE escrow_decision ADD COLUMN key_id VARCHAR(64);
ALTER TABLE escrow_decision ADD COLUMN signature BYTEA;
