-- Where keys for the scope's recipients may be looked up outside Letterlock when it holds none: a comma-separated
-- subset of partner-ldap, wkd, hkp; empty: nowhere.
ALTER TABLE gateway_policy ADD COLUMN external_sources VARCHAR(64) NOT NULL DEFAULT '';
