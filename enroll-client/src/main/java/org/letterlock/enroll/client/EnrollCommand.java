package org.letterlock.enroll.client;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * letterlock-enroll: gets a person's S/MIME certificates from Letterlock and hands them to their mail client. The
 * signing key is made here and never leaves this machine; the encryption key is made by the server, which archives
 * it for recovery, and comes back over TLS authenticated by the new signing certificate.
 */
@Command(name = "letterlock-enroll", mixinStandardHelpOptions = true, version = "letterlock-enroll 0.1",
        description = "Enrolls S/MIME certificates for ADDRESS from Letterlock: a signing certificate for a key made here, over EST (RFC 7030; "
                + "an enrollment secret proves the mailbox) or ACME (RFC 8823; a challenge mail, answered by mail, proves it), and an encryption key made "
                + "and archived by the server (EST serverkeygen). Writes PKCS#12 files (modern and legacy) and PEM certificates, and imports them into "
                + "a Thunderbird/NSS profile and gpgsm on request. Run it again from a timer with --renew-within to renew (over EST, the current "
                + "certificate being the proof).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:enrolled, renewed, or nothing due", "1:the server refused or could not be reached", "2:wrong usage"})
public final class EnrollCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ADDRESS", description = "Your mail address, as registered with Letterlock.")
    String address;

    @Option(names = "--server", required = true, defaultValue = "${env:LETTERLOCK_ENROLL_SERVER}",
            description = "Base URL of Letterlock's enrollment listener, e.g. https://mail.example.org:8443 (env LETTERLOCK_ENROLL_SERVER).")
    URI server;

    @Option(names = "--trust", description = "PEM file with Letterlock's root certificate (from your administrator, or /ca/root.crt).")
    Path trust;

    @Option(names = "--ca-fingerprint", description = "SHA-256 fingerprint of Letterlock's root certificate, as your administrator published it.")
    String fingerprint;

    @Option(names = "--protocol", defaultValue = "est",
            description = "How the signing certificate is enrolled: est (an enrollment secret proves the mailbox) or acme (the CA mails a challenge to ADDRESS and the reply proves it). Default ${DEFAULT-VALUE}.")
    Protocol protocol;

    @Option(names = "--acme-directory", paramLabel = "URL", description = "ACME: the directory (default SERVER/acme/directory).")
    URI acmeDirectory;

    @Option(names = "--challenge-mail", paramLabel = "FILE",
            description = "ACME: read the challenge mail from FILE, waiting for it to be written there (saved from your mail client, or by a mail filter); - reads it from standard input. Without it you are asked for the mail's Subject line.")
    Path challengeMail;

    @Option(names = "--smtp", paramLabel = "URL",
            description = "ACME: send the reply through your mail server, smtp://host[:587] (STARTTLS, required unless the host is this machine) or smtps://host[:465]. Without it the reply's text is shown for you to send.")
    URI smtp;

    @Option(names = "--smtp-user", description = "ACME: your user name at the mail server (default ADDRESS; used when a password is given).")
    String smtpUser;

    @Option(names = "--smtp-password-file", description = "ACME: file whose first line is your mail server password (else env LETTERLOCK_ENROLL_SMTP_PASSWORD; without either, no authentication).")
    Path smtpPasswordFile;

    @Option(names = "--challenge-timeout", paramLabel = "TIME", defaultValue = "15m", converter = Durations.class,
            description = "ACME: how long to wait for the challenge mail and for the CA to receive the reply, e.g. 15m, 90s (default ${DEFAULT-VALUE}).")
    Duration challengeTimeout;

    @Option(names = "--mail-secret", description = "Ask the server to mail an enrollment secret to ADDRESS first, then prompt for it.")
    boolean mailSecret;

    @Option(names = "--secret-file", description = "File whose first line is the enrollment secret (else env LETTERLOCK_ENROLL_SECRET, else a prompt).")
    Path secretFile;

    @Option(names = "--key-type", defaultValue = "ec-p256", description = "Signing key made here: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    KeyType keyType;

    @Option(names = "--encryption-key-type", defaultValue = "rsa-3072",
            description = "Encryption key the server makes: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}, which every mail client reads; the server may allow fewer).")
    KeyType encryptionKeyType;

    @Option(names = "--out", description = "Folder for the files (default ~/.letterlock/ADDRESS).")
    Path out;

    @Option(names = "--passphrase-file", description = "File whose first line protects the PKCS#12 files (else a prompt; without a terminal one is generated and printed).")
    Path passphraseFile;

    @Option(names = "--import-nss", paramLabel = "PROFILE", description = "Import into this Thunderbird/NSS profile folder with pk12util, and trust the root for mail.")
    Path nssProfile;

    @Option(names = "--import-gpgsm", description = "Import into gpgsm (GNUPGHOME as set), from the legacy PKCS#12.")
    boolean importGpgsm;

    @Option(names = "--renew-within", paramLabel = "DAYS", description = "Renew the certificates in --out if the signing certificate expires within DAYS; do nothing otherwise.")
    Integer renewWithin;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintWriter log;
    private final java.io.InputStream in;

    /** How the signing certificate is enrolled; renewal is always EST simplereenroll, the current certificate being the proof. */
    enum Protocol {
        EST("est"), ACME("acme");

        private final String label;

        Protocol(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** "90s", "15m", "1h". */
    static final class Durations implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            java.util.regex.Matcher parts = java.util.regex.Pattern.compile("([1-9][0-9]{0,5})([smh])").matcher(value.strip());
            if (!parts.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a time such as 90s, 15m or 1h");
            }
            long amount = Long.parseLong(parts.group(1));
            return switch (parts.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        }
    }

    public EnrollCommand() {
        this(new PrintWriter(System.out, true), System.in);
    }

    EnrollCommand(PrintWriter log, java.io.InputStream in) {
        this.log = log;
        this.in = in;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.in, args));
    }

    /** Runs the command with its output and errors going to the given writers; returns the exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, System.in, args);
    }

    /** As above, {@code --challenge-mail -} reading from {@code in}. */
    static int run(PrintWriter out, PrintWriter err, java.io.InputStream in, String... args) {
        CommandLine command = new CommandLine(new EnrollCommand(out, in));
        command.setOut(out);
        command.setErr(err);
        command.setExecutionExceptionHandler((e, line, parsed) -> {
            err.println("letterlock-enroll: " + describe(e));
            return 1;
        });
        return command.execute(args);
    }

    @Override
    public Integer call() throws IOException, GeneralSecurityException {
        checkUsage();
        address = address.trim().toLowerCase(Locale.ROOT);
        Path folder = out != null ? out : Path.of(System.getProperty("user.home"), ".letterlock", address);
        X509TrustManager trusted = trust != null ? TrustAnchor.fromPem(trust)
                : fingerprint != null ? TrustAnchor.fromFingerprint(server, fingerprint) : TrustAnchor.system();
        EstClient est = new EstClient(URI.create(base() + "/.well-known/est"), trusted);
        MailClientFiles files = new MailClientFiles(folder, address);
        if (renewWithin != null) {
            return renew(est, files);
        }
        if (mailSecret) {
            askForSecret(trusted);
        }
        char[] secret = protocol == Protocol.EST ? secret() : null;
        Optional<ChallengeReply.MailServer> mailServer = protocol == Protocol.ACME && smtp != null
                ? Optional.of(ChallengeReply.MailServer.of(smtp, smtpUser != null ? smtpUser : address, smtpPassword(),
                        trust == null && fingerprint == null ? trusted : TrustAnchor.eitherOf(trusted, TrustAnchor.system())))
                : Optional.empty();
        char[] passphrase = passphrase();
        KeyPair signingKey = keyType.generate();
        byte[] csr = SigningRequests.forMailbox(signingKey, address);
        X509Certificate signing = protocol == Protocol.EST ? est.simpleEnroll(csr, address, secret) : acmeEnroll(trusted, csr, mailServer);
        SigningRequests.checkIssued(signing, signingKey.getPublic(), address);
        log.println("signing certificate " + signing.getSerialNumber().toString(16) + " valid until " + signing.getNotAfter().toInstant());
        List<X509Certificate> chain = est.caCertificates();
        // The signing key exists nowhere else: it is written before the encryption key is asked for.
        files.write(signingKey.getPrivate(), signing, List.of(), chain, passphrase);
        EstClient.ServerKey encryption;
        try {
            encryption = est.serverKeyGen(encryptionRequest(Optional.empty()), signingKey.getPrivate(), withChain(signing, chain), Optional.empty()).key();
        } catch (IOException e) {
            throw new IOException(e.getMessage() + " (the signing key and certificate are written to " + files.modern()
                    + "; run again with --renew-within 30 and the same --out and passphrase to fetch the encryption key)", e);
        }
        log.println("encryption certificate " + encryption.certificate().getSerialNumber().toString(16) + " (key made and archived by the server)");
        report(files, files.write(signingKey.getPrivate(), signing, List.of(encryption), chain, passphrase), chain, passphrase);
        return 0;
    }

    /** Options that cannot go together, refused before anything is asked of the server. */
    private void checkUsage() {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        List<String> acmeOnly = java.util.stream.Stream.of("--acme-directory", "--challenge-mail", "--smtp", "--smtp-user", "--smtp-password-file", "--challenge-timeout")
                .filter(given::hasMatchedOption).toList();
        if (renewWithin != null && (protocol == Protocol.ACME || !acmeOnly.isEmpty())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--renew-within renews over EST, the current certificate being the proof: leave out "
                    + (protocol == Protocol.ACME ? "--protocol acme" : String.join(", ", acmeOnly)));
        }
        if (protocol == Protocol.EST && !acmeOnly.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.join(", ", acmeOnly) + (acmeOnly.size() == 1 ? " is" : " are") + " for --protocol acme");
        }
        if (protocol == Protocol.ACME && (mailSecret || secretFile != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--protocol acme takes no enrollment secret: the reply to the challenge mail proves the mailbox");
        }
        if (smtp != null) {
            try {
                ChallengeReply.MailServer.checkUrl(smtp);
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    /**
     * Enrolls {@code csr} over ACME: an order for the address, which makes the CA mail the challenge; its reply, sent
     * through the person's mail server or by the person; then the response to the challenge, finalize and download.
     */
    private X509Certificate acmeEnroll(X509TrustManager trusted, byte[] csr, Optional<ChallengeReply.MailServer> mailServer) throws IOException, GeneralSecurityException {
        Instant mailBy = Instant.now().plus(challengeTimeout);
        byte[] before = challengeMail == null || challengeMail.toString().equals("-") ? null : contentDigest(challengeMail);
        AcmeClient acme = AcmeClient.register(acmeDirectory != null ? acmeDirectory : URI.create(base() + "/acme/directory"), trusted);
        acme.termsOfService().ifPresent(terms -> log.println("the ACME server's terms of service, agreed to by ordering: " + terms));
        AcmeClient.Order order = acme.order(address);
        AcmeClient.Challenge challenge = order.challenge();
        log.println("ACME order " + order.url() + ": a challenge mail from " + challenge.from() + " is on its way to " + address);
        ChallengeReply reply = readChallenge(challenge, before, mailBy);
        // A person may take their time over the mail: the wait for the CA starts when the reply is written.
        Instant deadline = Instant.now().plus(challengeTimeout);
        String response = acme.challengeResponse(reply.tokenPart1(), challenge);
        if (mailServer.isPresent()) {
            reply.send(mailServer.get(), address, challenge, response);
            log.println("sent the reply to " + challenge.from() + " through " + smtp);
        } else {
            log.println("Reply to the challenge mail from your mail client (Subject \"Re: ACME: " + reply.tokenPart1() + "\", to " + challenge.from()
                    + ") with these three lines as its whole text:");
            log.print(ChallengeReply.body(response).replace("\r\n", System.lineSeparator()));
            log.println("Waiting until " + deadline + " for the reply to reach Letterlock.");
        }
        // Once the reply is written (sent, or shown to the person), as RFC 8555 section 7.5.1 has it.
        acme.respond(challenge);
        acme.awaitReady(order, deadline);
        return acme.finalizeOrder(order, csr, deadline).get(0);
    }

    /**
     * token-part1, from the challenge mail in {@code --challenge-mail} once the file holds something other than it
     * did before the order ({@code before}: its digest, or null) and reads as the challenge (a mail filter may still
     * be writing it), from standard input, or from the Subject line a person types.
     */
    private ChallengeReply readChallenge(AcmeClient.Challenge challenge, byte[] before, Instant deadline) throws IOException {
        if (challengeMail == null) {
            Console console = System.console();
            if (console == null) {
                throw new IOException("no way to read the challenge mail: give --challenge-mail FILE (or - for standard input)");
            }
            String subject = console.readLine("Subject of the mail from %s to %s (ACME: ...): ", challenge.from(), address);
            if (subject == null) {
                throw new IOException("no Subject given");
            }
            return ChallengeReply.fromSubject(subject);
        }
        if (challengeMail.toString().equals("-")) {
            log.println("reading the challenge mail from standard input");
            return ChallengeReply.fromMail(in.readAllBytes(), challenge);
        }
        log.println("waiting for the challenge mail in " + challengeMail);
        IOException lastReason = null;
        while (Instant.now().isBefore(deadline)) {
            byte[] now = contents(challengeMail);
            if (now != null && !java.util.Arrays.equals(digest(now), before)) {
                try {
                    return ChallengeReply.fromMail(now, challenge);
                } catch (IOException notYet) {
                    // Still being written, replaced meanwhile, or not the challenge: the next look decides.
                    lastReason = notYet;
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        throw new IOException("no challenge mail in " + challengeMail + " within --challenge-timeout (" + challengeTimeout.toSeconds() + " s)"
                + (lastReason == null ? "" : ": " + lastReason.getMessage()));
    }

    /** What {@code file} holds, or null if there is no such file (or it cannot be read now). */
    private static byte[] contents(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException absent) {
            return null;
        }
    }

    private static byte[] contentDigest(Path file) {
        byte[] contents = contents(file);
        return contents == null ? null : digest(contents);
    }

    private static byte[] digest(byte[] contents) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(contents);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<char[]> smtpPassword() throws IOException {
        if (smtpPasswordFile != null) {
            return Optional.of(firstLine(smtpPasswordFile));
        }
        String fromEnvironment = System.getenv("LETTERLOCK_ENROLL_SMTP_PASSWORD");
        return fromEnvironment == null || fromEnvironment.isEmpty() ? Optional.empty() : Optional.of(fromEnvironment.toCharArray());
    }

    private String base() {
        return server.toString().replaceAll("/+$", "");
    }

    /**
     * Renews what expires within {@code renewWithin} days: the signing certificate (with a new key, which renews the
     * pair) and then the encryption key in the pair of the current signing certificate. The new signing key exists
     * nowhere else, so it is written before the encryption key is asked for: should that fail, the next run finds the
     * signing certificate current and asks for the encryption key alone once the newest one held is due.
     */
    private int renew(EstClient est, MailClientFiles files) throws IOException, GeneralSecurityException {
        char[] passphrase = passphrase();
        MailClientFiles.Stored stored = files.read(passphrase);
        Instant due = Instant.now().plus(Duration.ofDays(renewWithin));
        boolean signingDue = !stored.signing().getNotAfter().toInstant().isAfter(due);
        boolean encryptionDue = stored.encryption().isEmpty() || !stored.encryption().get(0).certificate().getNotAfter().toInstant().isAfter(due);
        if (!signingDue && !encryptionDue) {
            log.println("nothing to do: the signing certificate is valid until " + stored.signing().getNotAfter().toInstant() + " and the encryption certificate until "
                    + stored.encryption().get(0).certificate().getNotAfter().toInstant() + ", beyond " + renewWithin + " days");
            return 0;
        }
        List<X509Certificate> chain = est.caCertificates();
        PrivateKey signingKey = stored.signingKey();
        X509Certificate signing = stored.signing();
        if (signingDue) {
            KeyPair renewedKey = keyType.generate();
            signing = est.simpleReenroll(SigningRequests.forMailbox(renewedKey, address), stored.signingKey(), withChain(stored.signing(), chain));
            signingKey = renewedKey.getPrivate();
            log.println("renewed: signing certificate " + signing.getSerialNumber().toString(16) + " valid until " + signing.getNotAfter().toInstant());
            files.write(signingKey, signing, stored.encryption(), chain, passphrase);
        }
        EstClient.ServerKey encryption;
        try {
            encryption = encryptionKey(est, signingKey, withChain(signing, chain), stored.encryption());
        } catch (IOException e) {
            if (!signingDue) {
                throw e;
            }
            throw new IOException(e.getMessage() + " (the renewed signing key and certificate are written to " + files.modern()
                    + "; the encryption key is asked for again once the newest one held expires within " + renewWithin + " days)", e);
        }
        List<EstClient.ServerKey> encryptionKeys = new ArrayList<>(List.of(encryption));
        encryptionKeys.addAll(stored.encryption());
        report(files, files.write(signingKey, signing, encryptionKeys, chain, passphrase), chain, passphrase);
        return 0;
    }

    /**
     * A new encryption key from serverkeygen, asked for encrypted to the newest current encryption key we hold (RFC
     * 7030 4.4.2); one the server no longer takes (revoked since, say) is passed over for the next, and without any
     * the key comes over TLS only.
     */
    private EstClient.ServerKey encryptionKey(EstClient est, PrivateKey signingKey, List<X509Certificate> signingChain, List<EstClient.ServerKey> held)
            throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        for (EstClient.ServerKey candidate : held.stream().filter(k -> k.certificate().getNotAfter().toInstant().isAfter(now)).toList()) {
            String serial = candidate.certificate().getSerialNumber().toString(16);
            try {
                EstClient.GeneratedKey generated = est.serverKeyGen(encryptionRequest(Optional.of(candidate)), signingKey, signingChain, Optional.of(candidate));
                log.println("encryption certificate " + generated.key().certificate().getSerialNumber().toString(16) + (generated.encrypted()
                        ? ", its key encrypted to encryption certificate " + serial : ", its key over TLS only (the server did not encrypt it to " + serial + ")")
                        + "; earlier encryption keys are kept to read older mail");
                return generated.key();
            } catch (EstClient.Refused e) {
                if (!e.refusesKeyIdentifier()) {
                    throw e;
                }
                log.println("the server does not take encryption certificate " + serial + " to encrypt the new key to (" + e.getMessage() + "); trying the next");
            }
        }
        EstClient.ServerKey generated = est.serverKeyGen(encryptionRequest(Optional.empty()), signingKey, signingChain, Optional.empty()).key();
        log.println("encryption certificate " + generated.certificate().getSerialNumber().toString(16) + " (its key over TLS only); earlier encryption keys "
                + "are kept to read older mail");
        return generated;
    }

    /**
     * The serverkeygen request: the server makes the key and ignores this one's (RFC 7030 4.4.1), taking only its type,
     * so it is made here for the request and thrown away. With {@code encryptTo} it names that encryption certificate
     * for the key to come encrypted to (AsymmetricDecryptKeyIdentifier, RFC 7030 4.4.1.2).
     */
    private byte[] encryptionRequest(Optional<EstClient.ServerKey> encryptTo) throws IOException, GeneralSecurityException {
        return SigningRequests.forMailbox(encryptionKeyType.generate(), address, encryptTo.map(k -> SigningRequests.subjectKeyId(k.certificate())));
    }

    private void report(MailClientFiles files, List<Pkcs12Writer.KeyEntry> keys, List<X509Certificate> chain, char[] passphrase) throws IOException {
        log.println("wrote " + files.modern() + " (Thunderbird, Outlook 365, Apple Mail), " + files.legacy() + " (gpgsm 2.2, older Outlook), "
                + files.folder().resolve("ca-chain.pem") + " and the certificates as PEM");
        if (nssProfile != null) {
            MailClientImports.intoNss(nssProfile, files.modern(), chain.get(chain.size() - 1), passphrase, log);
        }
        if (importGpgsm) {
            MailClientImports.intoGpgsm(keys, chain, passphrase, files.folder(), log);
        }
    }

    private void askForSecret(X509TrustManager trusted) throws IOException, GeneralSecurityException {
        SSLContext tls = TrustAnchor.tls(trusted);
        HttpRequest request = HttpRequest.newBuilder(URI.create(base() + "/secrets"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("mailbox=" + URLEncoder.encode(address, StandardCharsets.UTF_8))).build();
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().sslContext(tls).build().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (response.statusCode() != 202) {
            throw new IOException("asking for a mailed secret was refused (HTTP " + response.statusCode() + "): " + response.body().strip());
        }
        log.println(response.body().strip() + " Read it there.");
    }

    private char[] secret() throws IOException {
        if (secretFile != null) {
            return firstLine(secretFile);
        }
        String fromEnvironment = System.getenv("LETTERLOCK_ENROLL_SECRET");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment.trim().toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            throw new IOException("no enrollment secret: give --secret-file or LETTERLOCK_ENROLL_SECRET (there is no terminal to ask on)");
        }
        return console.readPassword("Enrollment secret for %s: ", address);
    }

    private char[] passphrase() throws IOException {
        if (passphraseFile != null) {
            return firstLine(passphraseFile);
        }
        Console console = System.console();
        if (console != null) {
            char[] first = console.readPassword("Passphrase for the PKCS#12 files: ");
            char[] again = console.readPassword("The same again: ");
            if (!java.util.Arrays.equals(first, again)) {
                throw new IOException("the passphrases differ");
            }
            return first;
        }
        if (renewWithin != null) {
            throw new IOException("renewing needs the passphrase of the PKCS#12 file: give --passphrase-file");
        }
        byte[] random = new byte[15];
        new SecureRandom().nextBytes(random);
        char[] generated = Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
        log.println("passphrase of the PKCS#12 files (keep it; it is shown once): " + new String(generated));
        return generated;
    }

    private static char[] firstLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isBlank()) {
            throw new IOException(file + " is empty");
        }
        return lines.get(0).strip().toCharArray();
    }

    /** One line a person can act on, never a stack trace. */
    static String describe(Throwable failure) {
        if (failure instanceof java.nio.file.NoSuchFileException missing) {
            return "no such file: " + missing.getFile();
        }
        if (failure instanceof java.net.ConnectException || failure instanceof java.net.http.HttpConnectTimeoutException) {
            return "cannot reach the server (" + (failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage()) + "); check --server";
        }
        if (failure instanceof javax.net.ssl.SSLHandshakeException handshake) {
            return "the server's TLS certificate is not trusted (" + handshake.getMessage() + "); give --trust with Letterlock's root or --ca-fingerprint";
        }
        return failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }

    private static List<X509Certificate> withChain(X509Certificate leaf, List<X509Certificate> chain) {
        List<X509Certificate> all = new ArrayList<>(List.of(leaf));
        all.addAll(chain);
        return all;
    }
}
