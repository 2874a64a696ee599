-- Nodes keep recently served keys in memory; each polls which keys changed or went away since it last looked, so its
-- copies follow the other nodes' saves and deletions within seconds.
CREATE INDEX keyserver_key_updated_at ON keyserver_key (updated_at);

CREATE TABLE keyserver_deleted (
    fingerprint VARCHAR(64) NOT NULL,
    deleted_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX keyserver_deleted_at ON keyserver_deleted (deleted_at);
