package org.letterlock.platform.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import org.bouncycastle.util.IPAddress;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.SecretSource;
import org.letterlock.vault.VaultSettings;

/**
 * Letterlock's configuration, read once at start and validated as a whole: every bad key is reported, by name and
 * reason, before anything starts. Values come from MicroProfile Config in the server ({@code letterlock.*} properties
 * or {@code LETTERLOCK_*} environment variables) and from the same names in the command-line tools.
 * Every key is listed in {@link ConfigKey} and documented in the README.
 */
public final class LetterlockConfig {
    private final Path dataDir;
    private final URI publicUrl;
    private final String dbUrl;
    private final String dbUser;
    private final Optional<SecretSource> dbPassword;
    private final int dbPoolSize;
    private final VaultSettings vault;
    private final KeyUri auditKey;
    private final KeySpec auditKeySpec;
    private final int auditCheckpointEvery;
    private final Duration auditCheckpointInterval;
    private final String mailTransport;
    private final String mailFrom;
    private final String smtpHost;
    private final int smtpPort;
    private final boolean smtpStartTls;
    private final Duration verificationTokenTtl;
    private final String initialAdmin;
    private final List<String> tlsHostNames;
    private final CaSettings ca;
    private final EscrowSettings escrow;
    private final KeyserverSettings keyserver;
    private final GatewaySettings gateway;
    private final EnrollSettings enroll;
    private final AcmeEnrollSettings enrollAcme;

    private LetterlockConfig(Reader r) {
        dataDir = r.path(ConfigKey.DATA_DIR);
        publicUrl = r.url(ConfigKey.PUBLIC_URL);
        dbUrl = r.text(ConfigKey.DB_URL).orElse("jdbc:h2:file:" + dataDir.resolve("db").resolve("letterlock")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0");
        if (!dbUrl.startsWith("jdbc:h2:") && !dbUrl.startsWith("jdbc:postgresql:")) {
            r.problem(ConfigKey.DB_URL, "must be a jdbc:h2: or jdbc:postgresql: URL", dbUrl.replaceAll("(?i)(password=)[^&;]*", "$1***"));
        }
        dbUser = r.text(ConfigKey.DB_USER).orElse(dbUrl.startsWith("jdbc:postgresql:") ? null : "letterlock");
        if (dbUser == null) {
            r.problem(ConfigKey.DB_USER, "is required with PostgreSQL", null);
        }
        dbPassword = r.secret(ConfigKey.DB_PASSWORD_SOURCE);
        dbPoolSize = r.integer(ConfigKey.DB_POOL_SIZE, 1, 200);

        String vaultType = r.choice(ConfigKey.VAULT_TYPE, "pkcs11", "soft", "memory");
        String tokenLabel = r.text(ConfigKey.VAULT_TOKEN_LABEL).orElse("letterlock");
        Path library = r.path(ConfigKey.VAULT_PKCS11_LIBRARY);
        OptionalInt slot = r.text(ConfigKey.VAULT_PKCS11_SLOT).isPresent()
                ? OptionalInt.of(r.integer(ConfigKey.VAULT_PKCS11_SLOT, 0, Integer.MAX_VALUE)) : OptionalInt.empty();
        SecretSource pin = r.secret(ConfigKey.VAULT_PIN_SOURCE).orElse(SecretSource.file(dataDir.resolve("secrets").resolve("vault.pin")));
        boolean manage = r.text(ConfigKey.VAULT_MANAGE_SOFTHSM).isPresent()
                ? r.bool(ConfigKey.VAULT_MANAGE_SOFTHSM)
                : VaultSettings.SOFTHSM2_LIBRARY.equals(library) && slot.isEmpty();
        vault = new VaultSettings(vaultType, tokenLabel, dataDir, library, slot, pin, manage);

        auditKey = r.keyUri(ConfigKey.AUDIT_KEY, tokenLabel);
        auditKeySpec = r.keySpec(ConfigKey.AUDIT_KEY_SPEC);
        auditCheckpointEvery = r.integer(ConfigKey.AUDIT_CHECKPOINT_EVERY, 1, 10_000_000);
        auditCheckpointInterval = r.duration(ConfigKey.AUDIT_CHECKPOINT_INTERVAL);

        mailTransport = r.choice(ConfigKey.MAIL_TRANSPORT, "file", "smtp");
        mailFrom = r.text(ConfigKey.MAIL_FROM).orElse("");
        if (!mailFrom.matches("[^@\\s]+@[^@\\s]+")) {
            r.problem(ConfigKey.MAIL_FROM, "must be a mail address", mailFrom);
        }
        smtpHost = r.text(ConfigKey.MAIL_SMTP_HOST).orElse("");
        smtpPort = r.integer(ConfigKey.MAIL_SMTP_PORT, 1, 65535);
        smtpStartTls = r.bool(ConfigKey.MAIL_SMTP_STARTTLS);
        if (mailTransport.equals("smtp") && smtpHost.isBlank()) {
            r.problem(ConfigKey.MAIL_SMTP_HOST, "is required when letterlock.mail.transport=smtp", null);
        }
        verificationTokenTtl = r.duration(ConfigKey.IDENTITY_TOKEN_TTL);
        initialAdmin = r.text(ConfigKey.ADMIN_INITIAL_NAME).orElse("admin");
        tlsHostNames = readTlsHostNames(r, publicUrl);
        ca = readCa(r, publicUrl);
        escrow = readEscrow(r);
        keyserver = new KeyserverSettings(r.integer(ConfigKey.KEYSERVER_HKP_PORT, 0, 65535), r.text(ConfigKey.KEYSERVER_HKP_ADDRESS).orElse("127.0.0.1"),
                r.integer(ConfigKey.KEYSERVER_LDAP_PORT, 0, 65535), r.text(ConfigKey.KEYSERVER_LDAP_ADDRESS).orElse("127.0.0.1"),
                r.integer(ConfigKey.KEYSERVER_LDAPS_PORT, 0, 65535),
                r.text(ConfigKey.KEYSERVER_LDAP_BASE).orElse("dc=example,dc=org"),
                r.integer(ConfigKey.KEYSERVER_MAX_KEY_BYTES, 1024, 64 * 1024 * 1024), r.integer(ConfigKey.KEYSERVER_MAX_USER_IDS, 1, 10_000),
                r.integer(ConfigKey.KEYSERVER_MAX_SUBKEYS, 0, 10_000), r.integer(ConfigKey.KEYSERVER_MAX_USER_ATTRIBUTES, 0, 100));
        gateway = readGateway(r, dataDir, tlsHostNames);
        enroll = readEnroll(r, tlsHostNames);
        enrollAcme = readEnrollAcme(r, mailFrom);
        r.failIfProblems();
    }

    /** Whether two distinguished names name the same entity (RFC 4517 matching); a malformed one matches nothing. */
    private static boolean sameName(String a, String b) {
        try {
            return new javax.security.auth.x500.X500Principal(a).equals(new javax.security.auth.x500.X500Principal(b));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static EnrollSettings readEnroll(Reader r, List<String> tlsHostNames) {
        int port = r.integer(ConfigKey.ENROLL_PORT, 0, 65535);
        String host = tlsHostNames.isEmpty() ? "localhost" : tlsHostNames.get(0);
        URI url = r.text(ConfigKey.ENROLL_URL).isPresent() ? r.url(ConfigKey.ENROLL_URL)
                : URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
        if (!"https".equals(url.getScheme())) {
            r.problem(ConfigKey.ENROLL_URL, "must be an https:// URL: EST, ACME and CMP clients enroll over TLS", url.toString());
        }
        return new EnrollSettings(port, r.text(ConfigKey.ENROLL_ADDRESS).orElse("127.0.0.1"), URI.create(url.toString().replaceAll("/+$", "")),
                r.duration(ConfigKey.ENROLL_SECRET_TTL), r.integer(ConfigKey.ENROLL_SECRET_MAILS_PER_HOUR, 1, 1000), r.integer(ConfigKey.ENROLL_SECRET_ATTEMPTS, 1, 100));
    }

    private static AcmeEnrollSettings readEnrollAcme(Reader r, String mailFrom) {
        String from = r.text(ConfigKey.ENROLL_ACME_FROM).orElse(mailFrom);
        // The default is letterlock.mail.from, whose own check reports it.
        if (r.text(ConfigKey.ENROLL_ACME_FROM).isPresent() && !from.matches("[^@\\s]+@[^@\\s]+")) {
            r.problem(ConfigKey.ENROLL_ACME_FROM, "must be a mail address", from);
        }
        int smtpPort = r.integer(ConfigKey.ENROLL_ACME_REPLY_PORT, 0, 65535);
        int lmtpPort = r.integer(ConfigKey.ENROLL_ACME_REPLY_LMTP_PORT, 0, 65535);
        if (lmtpPort != 0 && lmtpPort == smtpPort) {
            r.problem(ConfigKey.ENROLL_ACME_REPLY_LMTP_PORT, "must differ from letterlock.enroll.acme.reply-port (SMTP)", Integer.toString(lmtpPort));
        }
        return new AcmeEnrollSettings(from, smtpPort, r.text(ConfigKey.ENROLL_ACME_REPLY_ADDRESS).orElse("127.0.0.1"),
                lmtpPort, r.list(ConfigKey.ENROLL_ACME_TRUSTED_AUTHSERV_IDS), r.addressRanges(ConfigKey.ENROLL_ACME_TRUSTED_RELAYS), r.duration(ConfigKey.ENROLL_ACME_NONCE_TTL), r.duration(ConfigKey.ENROLL_ACME_ORDER_TTL));
    }

    /** A host name of one label or more, no wildcard. */
    private static final java.util.regex.Pattern HOST_NAME = java.util.regex.Pattern.compile(
            "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private static List<String> readTlsHostNames(Reader r, URI publicUrl) {
        List<String> configured = r.list(ConfigKey.TLS_HOST_NAMES);
        List<String> names = new ArrayList<>();
        if (configured.isEmpty()) {
            String host = publicUrl.getHost() == null ? "localhost" : publicUrl.getHost().replaceAll("^\\[|]$", "").toLowerCase(Locale.ROOT);
            names.add(host);
            // Clients on this machine name the loopback by address or as localhost.
            if (host.equals("127.0.0.1") || host.equals("::1")) {
                names.add("localhost");
            }
            return names;
        }
        for (String name : configured) {
            String lower = name.toLowerCase(Locale.ROOT);
            boolean valid = lower.matches("[0-9.]+") || lower.contains(":")
                    ? IPAddress.isValid(lower)
                    : HOST_NAME.matcher(lower).matches() && lower.length() <= 253;
            if (!valid) {
                r.problem(ConfigKey.TLS_HOST_NAMES, "must be host names or IP addresses separated by commas (no wildcards)", name);
            } else if (!names.contains(lower)) {
                names.add(lower);
            }
        }
        return names;
    }

    private static GatewaySettings readGateway(Reader r, Path dataDir, List<String> tlsHostNames) {
        List<String> domains = r.domains(ConfigKey.GATEWAY_LOCAL_DOMAINS);
        Optional<GatewaySettings.HostPort> lmtp = r.text(ConfigKey.GATEWAY_LMTP).map(v -> hostPort(r, ConfigKey.GATEWAY_LMTP, v));
        if (lmtp.isEmpty() && !domains.isEmpty()) {
            r.problem(ConfigKey.GATEWAY_LOCAL_DOMAINS, "names domains but letterlock.gateway.lmtp is not set (their mail is stored over LMTP)", null);
        }
        Optional<String> signingAddress = r.text(ConfigKey.GATEWAY_SIGNING_ADDRESS);
        if (signingAddress.isPresent() && !signingAddress.get().matches("[^@\\s]+@[^@\\s]+")) {
            r.problem(ConfigKey.GATEWAY_SIGNING_ADDRESS, "must be a mail address", signingAddress.get());
        }
        List<String> partnerDirectories = r.text(ConfigKey.GATEWAY_PARTNER_DIRECTORIES).map(v -> List.of(v.split(";"))).orElse(List.of()).stream()
                .map(String::trim).filter(v -> !v.isEmpty()).toList();
        for (String directory : partnerDirectories) {
            if (!directory.matches("(?i)[a-z0-9.-]+=ldaps?://[^/\\s]+/\\S.*")) {
                r.problem(ConfigKey.GATEWAY_PARTNER_DIRECTORIES, "must be 'domain=ldaps://host:port/base-dn' entries separated by semicolons", directory);
            }
        }
        if (!partnerDirectories.isEmpty() && r.text(ConfigKey.GATEWAY_PARTNER_CAS).isEmpty()) {
            r.problem(ConfigKey.GATEWAY_PARTNER_DIRECTORIES, "needs letterlock.gateway.partner-cas: the partner CA certificates their certificates must chain to", null);
        }
        String policyHeader = r.text(ConfigKey.GATEWAY_POLICY_HEADER).filter(v -> !v.equalsIgnoreCase("none")).orElse("");
        if (!policyHeader.isEmpty() && !policyHeader.matches("[A-Za-z][A-Za-z0-9-]{0,75}")) {
            r.problem(ConfigKey.GATEWAY_POLICY_HEADER, "must be a header field name (letters, digits, hyphens)", policyHeader);
        }
        boolean directToMx = r.text(ConfigKey.GATEWAY_NEXT_HOP).filter(v -> v.equalsIgnoreCase("mx")).isPresent();
        GatewaySettings.HostPort nextHop = hostPort(r, ConfigKey.GATEWAY_NEXT_HOP, directToMx ? ConfigKey.GATEWAY_NEXT_HOP.defaultValue() : r.text(ConfigKey.GATEWAY_NEXT_HOP).orElse(""));
        if (directToMx && r.text(ConfigKey.GATEWAY_NEXT_HOP_TLS).isPresent()) {
            r.problem(ConfigKey.GATEWAY_NEXT_HOP_TLS, "does not apply to next-hop=mx, where MTA-STS decides (remove it)", r.text(ConfigKey.GATEWAY_NEXT_HOP_TLS).get());
        }
        List<GatewaySettings.HostPort> dnsServers = new ArrayList<>();
        for (String server : r.list(ConfigKey.GATEWAY_DNS_SERVERS)) {
            // A server without a port is asked on 53; a bare IPv6 address gets its brackets.
            String withPort = server.matches("\\[.*]:\\d+|[^:]+:\\d+") ? server : (server.contains(":") && !server.startsWith("[") ? "[" + server + "]" : server) + ":53";
            dnsServers.add(hostPort(r, ConfigKey.GATEWAY_DNS_SERVERS, withPort));
        }
        if (!directToMx && !dnsServers.isEmpty()) {
            r.problem(ConfigKey.GATEWAY_DNS_SERVERS, "is only used with letterlock.gateway.next-hop=mx", null);
        }
        Optional<Path> mtaStsTrust = r.text(ConfigKey.GATEWAY_MTA_STS_TRUST).isPresent() ? Optional.of(r.path(ConfigKey.GATEWAY_MTA_STS_TRUST)) : Optional.empty();
        return new GatewaySettings(r.integer(ConfigKey.GATEWAY_SMTP_PORT, 0, 65535), r.text(ConfigKey.GATEWAY_SMTP_ADDRESS).orElse("127.0.0.1"),
                r.text(ConfigKey.GATEWAY_HOST_NAME).orElse(tlsHostNames.isEmpty() ? "localhost" : tlsHostNames.get(0)),
                r.integer(ConfigKey.GATEWAY_MAX_MESSAGE_BYTES, 64 * 1024, Integer.MAX_VALUE), r.integer(ConfigKey.GATEWAY_MAX_RECIPIENTS, 1, 10_000),
                nextHop, hopTls(r, ConfigKey.GATEWAY_NEXT_HOP_TLS, nextHop), lmtp,
                hopTls(r, ConfigKey.GATEWAY_LMTP_TLS, lmtp.orElse(nextHop)), List.copyOf(domains),
                r.text(ConfigKey.GATEWAY_SPOOL).isPresent() ? r.path(ConfigKey.GATEWAY_SPOOL) : dataDir.resolve("spool"),
                r.integer(ConfigKey.GATEWAY_DELIVERY_WORKERS, 1, 1000), r.duration(ConfigKey.GATEWAY_MAX_QUEUE_TIME),
                smimeContent(r), signingAddress,
                hkpServers(r), partnerDirectories, r.text(ConfigKey.GATEWAY_PARTNER_CAS).isPresent() ? Optional.of(r.path(ConfigKey.GATEWAY_PARTNER_CAS)) : Optional.empty(),
                policyHeader, directToMx ? Optional.of(GatewaySettings.DirectDelivery.of(List.copyOf(dnsServers), mtaStsTrust)) : Optional.empty(),
                r.bool(ConfigKey.GATEWAY_HONOUR_TLS_REQUIRED_NO));
    }

    private static List<URI> hkpServers(Reader r) {
        List<URI> servers = new ArrayList<>();
        for (String value : r.list(ConfigKey.GATEWAY_HKP_SERVERS)) {
            try {
                URI uri = new URI(value);
                if (!List.of("hkp", "hkps", "http", "https").contains(String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT)) || uri.getHost() == null) {
                    throw new java.net.URISyntaxException(value, "not an hkp, hkps, http or https URL");
                }
                servers.add(uri);
            } catch (java.net.URISyntaxException e) {
                r.problem(ConfigKey.GATEWAY_HKP_SERVERS, "must be hkps://host[:port] URLs separated by commas", value);
            }
        }
        return List.copyOf(servers);
    }

    /** As configured; else verify, or required for a loopback hop (see the key's description). */
    private static GatewaySettings.NextHopTls hopTls(Reader r, ConfigKey key, GatewaySettings.HostPort hop) {
        if (r.text(key).isEmpty()) {
            boolean loopback = hop.host().equals("localhost") || hop.host().startsWith("127.") || hop.host().equals("::1");
            return loopback ? GatewaySettings.NextHopTls.REQUIRED : GatewaySettings.NextHopTls.VERIFY;
        }
        String value = r.choice(key, "verify", "required", "none");
        return List.of("verify", "required", "none").contains(value) ? GatewaySettings.NextHopTls.valueOf(value.toUpperCase(Locale.ROOT))
                : GatewaySettings.NextHopTls.VERIFY;
    }

    /** {@code aes256-cbc} and {@code aes256-gcm}, the values before {@code capabilities}, keep meaning one cipher always. */
    private static GatewaySettings.SmimeContent smimeContent(Reader r) {
        return switch (r.choice(ConfigKey.GATEWAY_SMIME_CONTENT_ENCRYPTION, "capabilities", "aes256-cbc", "aes256-gcm")) {
            case "aes256-cbc" -> GatewaySettings.SmimeContent.AES256_CBC;
            case "aes256-gcm" -> GatewaySettings.SmimeContent.AES256_GCM;
            default -> GatewaySettings.SmimeContent.CAPABILITIES; // also for a bad value, which is already a problem reported
        };
    }

    private static GatewaySettings.HostPort hostPort(Reader r, ConfigKey key, String value) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[([0-9a-fA-F:.]+)]:(\\d{1,5})|([^:\\s\\[\\]]+):(\\d{1,5})").matcher(value.trim());
        if (m.matches()) {
            int port = Integer.parseInt(m.group(2) != null ? m.group(2) : m.group(4));
            if (port >= 1 && port <= 65535) {
                return new GatewaySettings.HostPort(m.group(1) != null ? m.group(1) : m.group(3), port);
            }
        }
        r.problem(key, "must be host:port (or [IPv6]:port)", value);
        return new GatewaySettings.HostPort("127.0.0.1", 25);
    }

    private static EscrowSettings readEscrow(Reader r) {
        List<KeySpec> specs = new ArrayList<>();
        for (String name : r.list(ConfigKey.ESCROW_KEY_SPECS)) {
            try {
                KeySpec spec = KeySpec.fromConfigName(name);
                if (!EscrowSettings.ENCRYPTION_KEY_SPECS.contains(spec)) {
                    r.problem(ConfigKey.ESCROW_KEY_SPECS, "may name only encryption key specs " + EscrowSettings.ENCRYPTION_KEY_SPECS.stream().map(KeySpec::configName).toList(), name);
                } else if (!specs.contains(spec)) {
                    specs.add(spec);
                }
            } catch (IllegalArgumentException e) {
                r.problem(ConfigKey.ESCROW_KEY_SPECS, e.getMessage(), null);
            }
        }
        if (specs.isEmpty()) {
            r.problem(ConfigKey.ESCROW_KEY_SPECS, "must name at least one key spec", null);
            specs.add(KeySpec.RSA_3072);
        }
        int approvals = r.integer(ConfigKey.ESCROW_APPROVALS, 1, 100);
        int agents = r.integer(ConfigKey.ESCROW_AGENTS, 1, 1000);
        if (agents < approvals) {
            r.problem(ConfigKey.ESCROW_AGENTS, "must be at least letterlock.escrow.recovery.approvals (" + approvals + ")", String.valueOf(agents));
        }
        return new EscrowSettings(specs, r.integer(ConfigKey.ESCROW_RSA_POOL, 0, 10_000), approvals, agents, r.duration(ConfigKey.ESCROW_RECOVERY_EXPIRY),
                r.duration(ConfigKey.ESCROW_DOWNLOAD_WINDOW));
    }

    private static CaSettings readCa(Reader r, URI publicUrl) {
        URI url = r.text(ConfigKey.CA_URL).isPresent() ? r.url(ConfigKey.CA_URL) : publicUrl;
        if ("https".equals(url.getScheme())) {
            // SBR 7.1.2.3 (b), (c): CRL and OCSP URLs are plain HTTP, so that checking a certificate never needs a TLS check first.
            r.problem(ConfigKey.CA_URL, "must be an http:// URL (CRL and OCSP are served over plain HTTP); set it when letterlock.public-url is https", url.toString());
        }
        boolean external = r.choice(ConfigKey.CA_ROOT, "internal", "external").equals("external");
        String rootSubject = r.distinguishedName(ConfigKey.CA_ROOT_SUBJECT);
        KeySpec rootSpec = r.keySpec(ConfigKey.CA_ROOT_KEY_SPEC);
        String issuingSubject = r.distinguishedName(ConfigKey.CA_ISSUING_SUBJECT);
        String tlsIssuingSubject = r.distinguishedName(ConfigKey.CA_TLS_ISSUING_SUBJECT);
        // A CA is found in a chain by its name: two CAs of one name would pass for each other.
        if (sameName(tlsIssuingSubject, issuingSubject) || sameName(tlsIssuingSubject, rootSubject)) {
            r.problem(ConfigKey.CA_TLS_ISSUING_SUBJECT, "must differ from letterlock.ca.issuing-subject and letterlock.ca.root-subject", tlsIssuingSubject);
        }
        if (sameName(issuingSubject, rootSubject)) {
            r.problem(ConfigKey.CA_ISSUING_SUBJECT, "must differ from letterlock.ca.root-subject", issuingSubject);
        }
        KeySpec issuingSpec = r.keySpec(ConfigKey.CA_ISSUING_KEY_SPEC);
        for (ConfigKey key : List.of(ConfigKey.CA_ROOT_KEY_SPEC, ConfigKey.CA_ISSUING_KEY_SPEC)) {
            if ((key == ConfigKey.CA_ROOT_KEY_SPEC ? rootSpec : issuingSpec) == KeySpec.ED25519) {
                r.problem(key, "must be an EC or RSA spec: mail clients do not accept Ed25519 CA certificates", "ed25519");
            }
        }
        List<String> permittedMailDomains = r.domains(ConfigKey.CA_PERMITTED_MAIL_DOMAINS);
        int maxValidity = r.integer(ConfigKey.CA_MAX_VALIDITY_DAYS, 1, 825);
        int validity = r.integer(ConfigKey.CA_VALIDITY_DAYS, 1, 825);
        if (validity > maxValidity && maxValidity < 825) {
            r.problem(ConfigKey.CA_VALIDITY_DAYS, "must not exceed letterlock.ca.max-validity-days (" + maxValidity + ")", String.valueOf(validity));
        }
        List<String> oids = r.list(ConfigKey.CA_POLICY_OIDS);
        for (String oid : oids) {
            if (!oid.matches("[0-2](\\.(0|[1-9][0-9]*))+")) {
                r.problem(ConfigKey.CA_POLICY_OIDS, "must be dotted OIDs separated by commas", oid);
            } else if (oid.startsWith("2.23.140.")) {
                r.problem(ConfigKey.CA_POLICY_OIDS, "names a CA/B Forum reserved OID; set letterlock.ca.sbr-policy-oids=true, which picks the right one per profile", oid);
            }
        }
        if (oids.isEmpty()) {
            r.problem(ConfigKey.CA_POLICY_OIDS, "needs at least one OID", "");
        }
        Duration crlInterval = r.duration(ConfigKey.CA_CRL_INTERVAL);
        Duration crlValidity = r.duration(ConfigKey.CA_CRL_VALIDITY);
        if (crlValidity.compareTo(crlInterval) <= 0) {
            r.problem(ConfigKey.CA_CRL_VALIDITY, "must be longer than letterlock.ca.crl.interval (" + crlInterval + "), or CRLs lapse between runs", crlValidity.toString());
        }
        Duration ocspValidity = r.duration(ConfigKey.CA_OCSP_VALIDITY);
        if (ocspValidity.compareTo(Duration.ofHours(8)) < 0 || ocspValidity.compareTo(Duration.ofDays(10)) > 0) {
            // SBR 4.9.10: OCSP responses are valid at least eight hours and at most ten days.
            r.problem(ConfigKey.CA_OCSP_VALIDITY, "must be from 8h to 10d (S/MIME Baseline Requirements 4.9.10)", ocspValidity.toString());
        }
        List<Integer> notices = new ArrayList<>();
        for (String day : r.list(ConfigKey.CA_EXPIRY_NOTICE_DAYS)) {
            try {
                int parsed = Integer.parseInt(day);
                if (parsed < 1 || parsed > 365) {
                    throw new NumberFormatException();
                }
                notices.add(parsed);
            } catch (NumberFormatException e) {
                r.problem(ConfigKey.CA_EXPIRY_NOTICE_DAYS, "must be whole numbers of days from 1 to 365, separated by commas", day);
            }
        }
        notices.sort(Comparator.reverseOrder());
        return new CaSettings(url, external, rootSubject, rootSpec, issuingSubject, tlsIssuingSubject, issuingSpec, permittedMailDomains, validity, maxValidity, oids, r.bool(ConfigKey.CA_SBR_POLICY_OIDS),
                crlInterval, crlValidity, ocspValidity, r.integer(ConfigKey.CA_OCSP_PORT, 0, 65535), r.text(ConfigKey.CA_OCSP_ADDRESS).orElse("127.0.0.1"),
                r.bool(ConfigKey.CA_OCSP_SIGN_ON_NETWORK_THREADS), notices);
    }

    /** Reads and validates everything; throws {@link ConfigException} listing every problem. */
    public static LetterlockConfig load(Function<String, Optional<String>> lookup) {
        return new LetterlockConfig(new Reader(lookup));
    }

    /** System properties first, then {@code LETTERLOCK_*} environment variables: the lookup of the command-line tools. */
    public static Function<String, Optional<String>> systemLookup() {
        return key -> Optional.ofNullable(System.getProperty(key)).or(() -> Optional.ofNullable(System.getenv(ConfigKey.environmentName(key))));
    }

    public Path dataDir() {
        return dataDir;
    }

    public URI publicUrl() {
        return publicUrl;
    }

    public String dbUrl() {
        return dbUrl;
    }

    public String dbUser() {
        return dbUser;
    }

    public Optional<SecretSource> dbPassword() {
        return dbPassword;
    }

    public int dbPoolSize() {
        return dbPoolSize;
    }

    public VaultSettings vault() {
        return vault;
    }

    public KeyUri auditKey() {
        return auditKey;
    }

    public KeySpec auditKeySpec() {
        return auditKeySpec;
    }

    public int auditCheckpointEvery() {
        return auditCheckpointEvery;
    }

    public Duration auditCheckpointInterval() {
        return auditCheckpointInterval;
    }

    public String mailTransport() {
        return mailTransport;
    }

    public String mailFrom() {
        return mailFrom;
    }

    public String smtpHost() {
        return smtpHost;
    }

    public int smtpPort() {
        return smtpPort;
    }

    public boolean smtpStartTls() {
        return smtpStartTls;
    }

    public Duration verificationTokenTtl() {
        return verificationTokenTtl;
    }

    public String initialAdmin() {
        return initialAdmin;
    }

    /** The names in the TLS certificate of Letterlock's own listeners, host names and IP address literals. */
    public List<String> tlsHostNames() {
        return tlsHostNames;
    }

    public CaSettings ca() {
        return ca;
    }

    public EscrowSettings escrow() {
        return escrow;
    }

    public GatewaySettings gateway() {
        return gateway;
    }

    public KeyserverSettings keyserver() {
        return keyserver;
    }

    public EnrollSettings enroll() {
        return enroll;
    }

    public AcmeEnrollSettings enrollAcme() {
        return enrollAcme;
    }

    /** Reads typed values and collects problems instead of stopping at the first. */
    private static final class Reader {
        private final Function<String, Optional<String>> lookup;
        private final List<String> problems = new ArrayList<>();

        Reader(Function<String, Optional<String>> lookup) {
            this.lookup = lookup;
        }

        Optional<String> text(ConfigKey key) {
            return lookup.apply(key.key()).map(String::trim).filter(v -> !v.isEmpty()).or(() -> Optional.ofNullable(key.defaultValue()));
        }

        private String required(ConfigKey key) {
            return text(key).orElse("");
        }

        void problem(ConfigKey key, String reason, String value) {
            problems.add(key.key() + " (" + ConfigKey.environmentName(key.key()) + ") " + reason + (value == null ? "" : ", got '" + value + "'"));
        }

        Path path(ConfigKey key) {
            String value = required(key);
            try {
                return Path.of(value).toAbsolutePath().normalize();
            } catch (RuntimeException e) {
                problem(key, "must be a file system path", value);
                return Path.of(".").toAbsolutePath();
            }
        }

        URI url(ConfigKey key) {
            String value = required(key);
            try {
                URI uri = new URI(value);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    problem(key, "must be an absolute http:// or https:// URL", value);
                }
                return uri;
            } catch (Exception e) {
                problem(key, "must be an absolute http:// or https:// URL", value);
                return URI.create("http://invalid");
            }
        }

        List<String> list(ConfigKey key) {
            return text(key).map(v -> List.of(v.split(","))).orElse(List.of()).stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
        }

        /** Address ranges; a problem for each value that is not one. */
        List<AddressRange> addressRanges(ConfigKey key) {
            List<AddressRange> ranges = new ArrayList<>();
            for (String value : list(key)) {
                AddressRange.parse(value).ifPresentOrElse(ranges::add,
                        () -> problem(key, "must be IP addresses or CIDR ranges (192.0.2.0/24, 2001:db8::/32; no host names) separated by commas", value));
            }
            return ranges;
        }

        /** Lower-cased domain names, once each; a problem for each value that is not one. */
        List<String> domains(ConfigKey key) {
            List<String> domains = new ArrayList<>();
            for (String domain : list(key)) {
                String lower = domain.toLowerCase(Locale.ROOT);
                if (!HOST_NAME.matcher(lower).matches()) {
                    problem(key, "must be domain names (example.org: no leading dot, wildcard or address) separated by commas", domain);
                } else if (!domains.contains(lower)) {
                    domains.add(lower);
                }
            }
            return domains;
        }

        String distinguishedName(ConfigKey key) {
            String value = required(key);
            if (!value.matches("(?i)\\s*(CN|O|OU|C|L|ST|DC)\\s*=.+")) {
                problem(key, "must be a distinguished name such as CN=Example Root CA,O=Example", value);
            }
            return value;
        }

        int integer(ConfigKey key, int min, int max) {
            String value = required(key);
            try {
                int parsed = Integer.parseInt(value);
                if (parsed < min || parsed > max) {
                    problem(key, "must be between " + min + " and " + max, value);
                }
                return parsed;
            } catch (NumberFormatException e) {
                problem(key, "must be a whole number", value);
                return min;
            }
        }

        boolean bool(ConfigKey key) {
            String value = required(key).toLowerCase(Locale.ROOT);
            if (!value.equals("true") && !value.equals("false")) {
                problem(key, "must be true or false", value);
            }
            return value.equals("true");
        }

        String choice(ConfigKey key, String... allowed) {
            String value = required(key);
            if (!List.of(allowed).contains(value)) {
                problem(key, "must be one of " + List.of(allowed), value);
            }
            return value;
        }

        Duration duration(ConfigKey key) {
            String value = required(key);
            try {
                Duration parsed = parseDuration(value);
                if (parsed.isNegative() || parsed.isZero()) {
                    problem(key, "must be a positive duration", value);
                }
                return parsed;
            } catch (DateTimeParseException | NumberFormatException e) {
                problem(key, "must be a duration such as 30s, 15m, 24h, 7d or PT24H", value);
                return Duration.ofSeconds(1);
            }
        }

        Optional<SecretSource> secret(ConfigKey key) {
            Optional<String> value = text(key);
            if (value.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(SecretSource.parse(value.get()));
            } catch (IllegalArgumentException e) {
                // The value itself is not repeated: it may be the secret, typed in by mistake, and problems are logged.
                problem(key, "must be file:/path or env:NAME (secrets never go in configuration itself)", null);
                return Optional.empty();
            }
        }

        KeyUri keyUri(ConfigKey key, String tokenLabel) {
            String value = text(key).orElse(KeyUri.of(tokenLabel, "audit-checkpoint").toString());
            try {
                KeyUri uri = KeyUri.parse(value);
                if (!uri.token().equals(tokenLabel)) {
                    problem(key, "names token '" + uri.token() + "' but letterlock.vault.token-label is '" + tokenLabel + "'", value);
                }
                return uri;
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage(), null);
                return KeyUri.of(tokenLabel, "audit-checkpoint");
            }
        }

        KeySpec keySpec(ConfigKey key) {
            String value = required(key);
            try {
                return KeySpec.fromConfigName(value);
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage(), null);
                return KeySpec.EC_P256;
            }
        }

        void failIfProblems() {
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
        }
    }

    static Duration parseDuration(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("p")) {
            return Duration.parse(v.toUpperCase(Locale.ROOT));
        }
        char unit = v.charAt(v.length() - 1);
        long amount = Long.parseLong(v.substring(0, v.length() - 1));
        return switch (unit) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 'h' -> Duration.ofHours(amount);
            case 'd' -> Duration.ofDays(amount);
            default -> throw new NumberFormatException("unknown unit " + unit);
        };
    }
}
