-- A pair holds one signing and one encryption certificate: enforced here, so concurrent requests cannot both join it.
-- Certificates outside pairs (pair_id NULL) are not constrained: NULLs are distinct in unique indexes.
CREATE UNIQUE INDEX ca_certificate_pair_profile ON ca_certificate (pair_id, profile);
