package org.letterlock.platform.config;

import java.util.Locale;

/** Every configuration key, its default and what it means: the single list the README's table is checked against. */
public enum ConfigKey {
    DATA_DIR("letterlock.data-dir", "./data", "Data folder: H2 database, SoftHSM2 token store, secrets, outbox."),
    PUBLIC_URL("letterlock.public-url", "http://127.0.0.1:8080", "Base URL clients reach the HTTP port at (used in links and certificate URLs)."),
    DB_URL("letterlock.db.url", null, "JDBC URL; default an H2 file in <data-dir>/db; jdbc:postgresql://host/db for production."),
    DB_USER("letterlock.db.user", null, "Database user (default 'letterlock' for H2; required for PostgreSQL)."),
    DB_PASSWORD_SOURCE("letterlock.db.password-source", null, "Where the database password comes from: file:/path or env:NAME."),
    DB_POOL_SIZE("letterlock.db.pool-size", "10", "Maximum database connections."),
    VAULT_TYPE("letterlock.vault.type", "pkcs11", "Key vault back-end: pkcs11 (production), soft (development only), memory (tests only)."),
    VAULT_TOKEN_LABEL("letterlock.vault.token-label", "letterlock", "Token label; key names are pkcs11:token=<label>;object=<name>."),
    VAULT_PKCS11_LIBRARY("letterlock.vault.pkcs11.library", "/usr/lib/softhsm/libsofthsm2.so", "Path of the PKCS#11 module (SoftHSM2 by default, your HSM's in production)."),
    VAULT_PKCS11_SLOT("letterlock.vault.pkcs11.slot", null, "Slot id of the token, for modules with several tokens (not needed for the managed SoftHSM2 token)."),
    VAULT_PIN_SOURCE("letterlock.vault.pin-source", null, "Where the token's user PIN (or the soft vault's password) comes from: file:/path or env:NAME; default file:<data-dir>/secrets/vault.pin."),
    VAULT_MANAGE_SOFTHSM("letterlock.vault.manage-softhsm", null, "Create and use a SoftHSM2 token in <data-dir>/softhsm (default: true when the library is SoftHSM2 and no slot is set)."),
    AUDIT_KEY("letterlock.audit.key", null, "Key that signs audit checkpoints; default pkcs11:token=<label>;object=audit-checkpoint."),
    AUDIT_KEY_SPEC("letterlock.audit.key-spec", "ec-p256", "Key spec of the audit key when first created: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096, ed25519."),
    AUDIT_CHECKPOINT_EVERY("letterlock.audit.checkpoint-every", "1000", "Sign a checkpoint after this many audit records."),
    AUDIT_CHECKPOINT_INTERVAL("letterlock.audit.checkpoint-interval", "5m", "... and at least this often while records arrive."),
    MAIL_TRANSPORT("letterlock.mail.transport", "file", "How verification mail leaves: smtp (relay) or file (.eml files in <data-dir>/outbox, for tests and first runs)."),
    MAIL_FROM("letterlock.mail.from", "letterlock@localhost", "Sender address of mail Letterlock sends."),
    MAIL_SMTP_HOST("letterlock.mail.smtp.host", null, "SMTP relay host (required with transport smtp)."),
    MAIL_SMTP_PORT("letterlock.mail.smtp.port", "25", "SMTP relay port."),
    MAIL_SMTP_STARTTLS("letterlock.mail.smtp.starttls", "true", "Require STARTTLS to the relay."),
    IDENTITY_TOKEN_TTL("letterlock.identity.token-ttl", "24h", "How long a mailbox verification token stays valid."),
    TLS_HOST_NAMES("letterlock.tls.host-names", null, "Comma-separated host names and IP addresses in the TLS certificate of Letterlock's own listeners (LDAPS, StartTLS); default: the host of letterlock.public-url, with localhost beside a loopback address."),
    ADMIN_INITIAL_NAME("letterlock.admin.initial-name", "admin", "Name of the first administrator, created on first start."),
    CA_URL("letterlock.ca.url", null, "Base URL written into certificates for the CRL, OCSP and CA certificate (default: letterlock.public-url); plain http is usual."),
    CA_ROOT("letterlock.ca.root", "internal", "internal: first start creates a root CA in the vault; external: first start makes only the issuing CA's CSR, for an offline or external root to sign."),
    CA_ROOT_SUBJECT("letterlock.ca.root-subject", "CN=Letterlock Root CA,O=Letterlock", "Subject of the root CA created on first start."),
    CA_ROOT_KEY_SPEC("letterlock.ca.root-key-spec", "ec-p384", "Key spec of the root CA key: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096."),
    CA_ISSUING_SUBJECT("letterlock.ca.issuing-subject", "CN=Letterlock Issuing CA,O=Letterlock", "Subject of the issuing CA (a rollover adds a generation number)."),
    CA_TLS_ISSUING_SUBJECT("letterlock.ca.tls-issuing-subject", "CN=Letterlock TLS Issuing CA,O=Letterlock",
            "Subject of the issuing CA of the mail hosts' TLS certificates, kept apart from the mailbox one (a rollover adds a generation number)."),
    CA_ISSUING_KEY_SPEC("letterlock.ca.issuing-key-spec", "ec-p256", "Key spec of the issuing CA key: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096."),
    CA_PERMITTED_MAIL_DOMAINS("letterlock.ca.permitted-mail-domains", null, "Comma-separated domains the issuing CA may certify mailboxes of (each domain and its subdomains), "
            + "by a critical nameConstraints extension in issuing CAs made from then on (first start, rollover, the CSR for an external root); unset: no constraint."),
    CA_VALIDITY_DAYS("letterlock.ca.validity-days", "365", "Default validity of end-entity certificates, in days."),
    CA_MAX_VALIDITY_DAYS("letterlock.ca.max-validity-days", "825", "Longest validity any request may ask for (at most 825; profiles may be lower)."),
    CA_POLICY_OIDS("letterlock.ca.policy-oids", "1.3.6.1.4.1.99999.1.1", "Comma-separated certificatePolicies OIDs of your own arc, written into every end-entity certificate."),
    CA_SBR_POLICY_OIDS("letterlock.ca.sbr-policy-oids", "false", "true: also write the CA/B Forum S/MIME reserved OID of each mailbox profile (strict 2.23.140.1.5.1.3, multipurpose 2.23.140.1.5.1.2)."),
    CA_CRL_INTERVAL("letterlock.ca.crl.interval", "1h", "How often full and delta CRLs are re-signed (a revocation re-signs at once)."),
    CA_CRL_VALIDITY("letterlock.ca.crl.validity", "24h", "nextUpdate of CRLs: how long relying parties may cache them; longer than the interval."),
    CA_OCSP_VALIDITY("letterlock.ca.ocsp.validity", "24h", "nextUpdate of pre-signed OCSP responses; they are re-signed when half of it has passed."),
    CA_OCSP_PORT("letterlock.ca.ocsp.port", "0", "Port of the dedicated OCSP listener (GET /ocsp/..., POST /ocsp; about twice the rate of /ocsp on the HTTP port); 0: none."),
    CA_OCSP_ADDRESS("letterlock.ca.ocsp.address", "127.0.0.1", "Address the dedicated OCSP listener binds to."),
    CA_OCSP_SIGN_ON_NETWORK_THREADS("letterlock.ca.ocsp.sign-on-network-threads", "true",
            "The dedicated OCSP listener signs nonce answers on its network threads when no lookup or lease grant is needed; "
                    + "false with an HSM reached over the network, whose round trip would hold up the cached answers."),
    CA_EXPIRY_NOTICE_DAYS("letterlock.ca.expiry-notice-days", "30,7", "Mail owners this many days before a certificate expires (comma-separated)."),
    ESCROW_KEY_SPECS("letterlock.escrow.key-specs", "rsa-3072,ec-p256", "Key specs escrow may generate for encryption certificates (rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384); the first is the default."),
    ESCROW_RSA_POOL("letterlock.escrow.rsa-pool", "16", "RSA key pairs generated ahead, per RSA key spec, so enrollment does not wait for RSA key generation; 0: none."),
    ESCROW_APPROVALS("letterlock.escrow.recovery.approvals", "2", "M: approvals by distinct recovery agents (never the requester) that release a recovery."),
    ESCROW_AGENTS("letterlock.escrow.recovery.agents", "3", "N: recovery-agent accounts that must exist before a recovery can be requested (at least M)."),
    ESCROW_RECOVERY_EXPIRY("letterlock.escrow.recovery.expiry", "72h", "A recovery request not approved within this time expires."),
    ESCROW_DOWNLOAD_WINDOW("letterlock.escrow.recovery.download-window", "24h", "A released recovery not downloaded within this time expires."),
    KEYSERVER_HKP_PORT("letterlock.keyserver.hkp.port", "11371", "Port of the HKP listener (gpg's hkp://host); 0: none (HKP stays at /pks on the HTTP port)."),
    KEYSERVER_HKP_ADDRESS("letterlock.keyserver.hkp.address", "127.0.0.1", "Address the HKP listener binds to."),
    KEYSERVER_LDAP_PORT("letterlock.keyserver.ldap.port", "1389", "Port of the read-only LDAP directory of published keys (dirmngr's PGP schema); 0: none."),
    KEYSERVER_LDAP_ADDRESS("letterlock.keyserver.ldap.address", "127.0.0.1", "Address the LDAP listener binds to."),
    KEYSERVER_LDAPS_PORT("letterlock.keyserver.ldaps.port", "1636", "Port of the same directory over TLS from the first byte (ldaps://), with Letterlock's TLS certificate; 0: none. The LDAP port offers StartTLS either way."),
    KEYSERVER_LDAP_BASE("letterlock.keyserver.ldap.base", "dc=example,dc=org", "Base DN of the LDAP directory (keys under ou=PGP Keys,<base>); set your organisation's."),
    KEYSERVER_MAX_KEY_BYTES("letterlock.keyserver.max-key-bytes", "1048576", "Largest key upload accepted, in bytes (a flooded key is refused before it is parsed)."),
    KEYSERVER_MAX_USER_IDS("letterlock.keyserver.max-user-ids", "100", "User IDs kept per key."),
    KEYSERVER_MAX_SUBKEYS("letterlock.keyserver.max-subkeys", "50", "Subkeys kept per key."),
    KEYSERVER_MAX_USER_ATTRIBUTES("letterlock.keyserver.max-user-attributes", "0", "User attributes (photo IDs) kept per key; 0 strips them."),
    GATEWAY_SMTP_PORT("letterlock.gateway.smtp.port", "2525", "Port the SMTP gateway takes mail on (STARTTLS offered with Letterlock's TLS certificate); 0: no gateway."),
    GATEWAY_SMTP_ADDRESS("letterlock.gateway.smtp.address", "127.0.0.1", "Address the SMTP gateway binds to."),
    GATEWAY_HOST_NAME("letterlock.gateway.host-name", null, "Name the gateway gives in its greeting, EHLO and Received lines (default: the first of letterlock.tls.host-names)."),
    GATEWAY_MAX_MESSAGE_BYTES("letterlock.gateway.max-message-bytes", "36700160", "Largest message taken (SIZE in EHLO); larger ones get 552."),
    GATEWAY_MAX_RECIPIENTS("letterlock.gateway.max-recipients", "100", "Recipients taken per message; more get 452 (the client sends them in another transaction)."),
    GATEWAY_NEXT_HOP("letterlock.gateway.next-hop", "127.0.0.1:10025", "host:port that mail leaves to over SMTP (Postfix's re-injection listener when the gateway is a content filter), or mx: delivered straight to each recipient domain's MX hosts, with MTA-STS (RFC 8461)."),
    GATEWAY_NEXT_HOP_TLS("letterlock.gateway.next-hop.tls", null, "TLS to the next hop: verify (STARTTLS required, certificate checked against Letterlock's CA and the JDK's for the host dialled), required (STARTTLS, any certificate), none (no TLS). Default: verify, or required for a loopback address (nobody can listen in there, and the CA issues no certificate for 127.0.0.1)."),
    GATEWAY_LMTP("letterlock.gateway.lmtp", null, "host:port of the mailbox store's LMTP listener (Dovecot); mail for letterlock.gateway.local-domains goes there, encrypted to its owner. Unset: all mail goes to the next hop."),
    GATEWAY_LMTP_TLS("letterlock.gateway.lmtp.tls", null, "TLS to the mailbox store, as letterlock.gateway.next-hop.tls (the same default)."),
    GATEWAY_LOCAL_DOMAINS("letterlock.gateway.local-domains", null, "Domains whose mailboxes are stored here (comma separated): delivered over LMTP and encrypted at rest."),
    GATEWAY_SPOOL("letterlock.gateway.spool", null, "Folder of the mail queue; default <data-dir>/spool. Keep it on a local disk that honours fsync."),
    GATEWAY_DELIVERY_WORKERS("letterlock.gateway.delivery-workers", "16", "Messages delivered at once."),
    GATEWAY_MAX_QUEUE_TIME("letterlock.gateway.max-queue-time", "5d", "How long a message that cannot be delivered is retried before it is returned to its sender."),
    GATEWAY_SMIME_CONTENT_ENCRYPTION("letterlock.gateway.smime.content-encryption", "capabilities", "S/MIME content encryption: capabilities (AES-256-GCM AuthEnvelopedData when every recipient is known to read it, from its certificate or its signed mail, else AES-256-CBC EnvelopedData), or always aes256-cbc (what every client reads, gpgsm 2.2 included) or aes256-gcm (Thunderbird 102+, Outlook 365, OpenSSL, gpgsm 2.4)."),
    GATEWAY_SIGNING_ADDRESS("letterlock.gateway.signing.address", null, "The organisation's address S/MIME copies are signed as, when a rule asks for signing: its key (EC P-256) is made in the vault and its mailbox-signing certificate issued by Letterlock's CA. Unset: no signing."),
    GATEWAY_HKP_SERVERS("letterlock.gateway.hkp-servers", null, "HKP(S) keyservers (URLs, comma separated) rules with external source hkp may look recipients' OpenPGP keys up on."),
    GATEWAY_PARTNER_DIRECTORIES("letterlock.gateway.partner-directories", null, "Partner organisations' LDAP directories, 'domain=ldaps://host:port/base-dn' separated by semicolons; rules with external source partner-ldap look S/MIME certificates up there."),
    GATEWAY_PARTNER_CAS("letterlock.gateway.partner-cas", null, "PEM file of the partner CA certificates that partner directories' certificates must chain to (required with partner directories)."),
    GATEWAY_POLICY_HEADER("letterlock.gateway.policy-header", "X-Letterlock-Policy", "Header that records the decision taken for each recipient in the delivered copy; none: no header."),
    GATEWAY_DNS_SERVERS("letterlock.gateway.dns-servers", null, "DNS servers (host or host:port, comma separated) that MX, address and MTA-STS lookups of direct delivery (next-hop=mx) ask; unset: the system's resolvers."),
    GATEWAY_MTA_STS_TRUST("letterlock.gateway.mta-sts.trust", null, "PEM file of CA certificates trusted for MTA-STS (policy web servers and MX hosts under an enforce policy) besides the JDK's CAs: for private deployments."),
    GATEWAY_HONOUR_TLS_REQUIRED_NO("letterlock.gateway.honour-tls-required-no", "true", "Honour the TLS-Required: No header field (RFC 8689 5): the recipient domain's MTA-STS policy, and the next hop's or mailbox store's TLS rules for copies the gateway encrypted, do not stop delivery; TLS is still tried."),
    ENROLL_PORT("letterlock.enroll.port", "8443", "Port of the enrollment listener (HTTPS with Letterlock's TLS certificate): EST, ACME, CMP and their discovery document; 0: none."),
    ENROLL_ADDRESS("letterlock.enroll.address", "127.0.0.1", "Address the enrollment listener binds to."),
    ENROLL_URL("letterlock.enroll.url", null, "Base URL mail clients reach the enrollment listener at (in the discovery document and mailed instructions); default https://<first TLS host name>:<port>."),
    ENROLL_SECRET_TTL("letterlock.enroll.secret-ttl", "72h", "How long an enrollment secret stays valid before it is used."),
    ENROLL_SECRET_MAILS_PER_HOUR("letterlock.enroll.secret-mails-per-hour", "3", "Enrollment secrets mailed to one mailbox per hour at most; more requests are answered alike (202) and send nothing."),
    ENROLL_SECRET_ATTEMPTS("letterlock.enroll.secret-attempts", "5", "Wrong secrets one client (address) may try for one mailbox within 15 minutes; past them it is refused (429) until they age out."),
    ENROLL_ACME_FROM("letterlock.enroll.acme.from", null, "Address ACME email-reply-00 challenge mails come from and replies go to (RFC 8823); default: letterlock.mail.from. Mail for it must reach the reply receiver."),
    ENROLL_ACME_REPLY_PORT("letterlock.enroll.acme.reply-port", "2526", "Port of the SMTP receiver that takes replies to ACME challenge mails (STARTTLS with Letterlock's TLS certificate); 0: none."),
    ENROLL_ACME_REPLY_ADDRESS("letterlock.enroll.acme.reply-address", "127.0.0.1", "Address the ACME reply receivers (SMTP and LMTP) bind to."),
    ENROLL_ACME_REPLY_LMTP_PORT("letterlock.enroll.acme.reply-lmtp-port", "0", "Port of the LMTP receiver (RFC 2033, no TLS) that takes replies to ACME challenge mails from an MTA that delivers over LMTP; 0: none."),
    ENROLL_ACME_TRUSTED_AUTHSERV_IDS("letterlock.enroll.acme.trusted-authserv-ids", null, "Comma-separated authserv-ids (RFC 8601) of the organisation's MTAs whose Authentication-Results header (dkim=pass for the sender's domain) authenticates an ACME reply; empty: no reply is taken as authenticated."),
    ENROLL_ACME_TRUSTED_RELAYS("letterlock.enroll.acme.trusted-relays", "127.0.0.0/8,::1", "Comma-separated addresses or CIDR ranges of the MTAs that hand ACME replies to the reply receivers; an Authentication-Results header is believed only in a reply one of them handed over, as anyone else who reaches the receiver could write it."),
    ENROLL_ACME_NONCE_TTL("letterlock.enroll.acme.nonce-ttl", "10m", "How long an ACME Replay-Nonce stays usable."),
    ENROLL_ACME_ORDER_TTL("letterlock.enroll.acme.order-ttl", "24h", "How long an ACME order and its email challenge stay open.");

    private final String key;
    private final String defaultValue;
    private final String description;

    ConfigKey(String key, String defaultValue, String description) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    public String key() {
        return key;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    /** The MicroProfile Config environment name: {@code letterlock.db.url} is {@code LETTERLOCK_DB_URL}. */
    public static String environmentName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
