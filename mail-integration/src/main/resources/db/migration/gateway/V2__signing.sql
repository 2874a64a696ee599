-- Whether S/MIME copies for the scope's recipients are signed with the organisation's certificate, inside the encryption.
ALTER TABLE gateway_policy ADD COLUMN sign BOOLEAN NOT NULL DEFAULT FALSE;
