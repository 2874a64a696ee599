-- Wrong secrets are counted per client on each node (EnrollmentSecrets), no longer per mailbox in the row: a count
-- anyone could raise let a stranger cancel a mailbox's secrets.
ALTER TABLE enroll_secret DROP COLUMN failures;
