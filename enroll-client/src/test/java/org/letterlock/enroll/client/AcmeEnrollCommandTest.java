package org.letterlock.enroll.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.enroll.acme.ReplyReceiver;
import org.letterlock.mail.PostfixHop;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.store.Outbox;

/**
 * letterlock-enroll over ACME (RFC 8823) against a real enrollment server with its reply receiver: the challenge mail
 * comes from the server's outbox into the file a mail filter would write, and the reply goes through a private Postfix
 * as the person's mail server. That Postfix's header_checks prepend the Authentication-Results a DKIM verifier
 * (OpenDKIM, rspamd) at the organisation would add: a stand-in for the milter, which cannot run here; the reply
 * receiver trusts that authserv-id.
 */
class AcmeEnrollCommandTest {
    private static final String CHALLENGE_FROM = "acme-challenge@ca.example.org";
    private static final String MTA = "mx.example.org";
    /** Short, so that a test can move the server's clock past a nonce's life (it stands still otherwise). */
    private static final Duration NONCE_TTL = Duration.ofSeconds(1);

    @TempDir
    static Path work;
    static EnrollFixture fixture;
    static ReplyReceiver replies;
    static PostfixHop mailServer;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        int replyPort = PostfixHop.freePort();
        fixture = new EnrollFixture(work, Map.of("letterlock.enroll.acme.reply-port", Integer.toString(replyPort), "letterlock.enroll.acme.from", CHALLENGE_FROM,
                "letterlock.enroll.acme.trusted-authserv-ids", MTA, "letterlock.enroll.acme.nonce-ttl", NONCE_TTL.toSeconds() + "s"));
        replies = ReplyReceiver.start(fixture.services, fixture.tls.serverContext()).orElseThrow();
        root = fixture.rootPem();
        // Postfix's socket paths are short, and its user must be able to enter the folder: not the JUnit work folder.
        mailServer = PostfixHop.startRelaying(Path.of("/tmp/ll-postfix-" + UUID.randomUUID().toString().substring(0, 8)), "ca.example.org", CHALLENGE_FROM,
                "smtp:[127.0.0.1]:" + replies.port(),
                List.of(PostfixHop.dkimPassFor(MTA, "example.org")));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (mailServer != null) {
                mailServer.close();
            }
        } finally {
            if (replies != null) {
                replies.close();
            }
            fixture.close();
        }
    }

    /** A verified mailbox here, the folder letterlock-enroll is to write to, and the file its challenge mail is to land in. */
    private record Mailbox(String address, Path folder, Path challengeMail) {
        List<String> acme() throws Exception {
            return AcmeEnrollCommandTest.acme(address, folder, challengeMail);
        }
    }

    private static Mailbox verifiedMailbox(String name) throws Exception {
        String address = EnrollFixture.newMailbox(name);
        fixture.verifiedMailbox(address, name);
        return new Mailbox(address, work.resolve(address), work.resolve("challenge-" + address + ".eml"));
    }

    private static List<String> acme(String mailbox, Path folder, Path challengeMail) throws Exception {
        Path passphrase = Files.writeString(work.resolve("passphrase-" + mailbox), "correct horse battery\n");
        return new ArrayList<>(List.of(mailbox, "--protocol", "acme", "--server", fixture.url().toString(), "--trust", root.toString(), "--challenge-mail",
                challengeMail.toString(), "--challenge-timeout", "60s", "--passphrase-file", passphrase.toString(), "--out", folder.toString()));
    }

    /** Completes with the challenge mail to {@code mailbox} once it is in the server's outbox. */
    private static CompletableFuture<String> challengeTo(String mailbox) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    Optional<String> challenge = Outbox.mailsTo(EnrollFixture.TOKEN_DATA, mailbox).stream().filter(m -> m.contains("\nSubject: ACME: ")).findFirst();
                    if (challenge.isPresent()) {
                        return challenge.get();
                    }
                    Thread.sleep(100);
                }
                throw new AssertionError("no challenge mail to " + mailbox);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Writes {@code mail} to {@code file} as a mail filter does: whole, by rename. */
    private static String writeWhole(Path file, String mail) {
        try {
            Path partial = Files.writeString(file.resolveSibling(file.getFileName() + ".part"), mail);
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
            return mail;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The challenge mail to {@code mailbox}, written to {@code file} once it is sent. */
    private static CompletableFuture<String> deliverChallengeTo(String mailbox, Path file) {
        return challengeTo(mailbox).thenApply(mail -> writeWhole(file, mail));
    }

    /** The order's id, from the line letterlock-enroll prints about it. */
    private static String orderId(String output) {
        Matcher order = Pattern.compile("ACME order \\S+/acme/order/([^\\s:]+):").matcher(output);
        assertThat(order.find()).as(output).isTrue();
        return order.group(1);
    }

    @Test
    void enrollsOverAcmeWithTheReplySentThroughTheMailServer() throws Exception {
        Mailbox person = verifiedMailbox("ivy");
        String mailbox = person.address();
        Path folder = person.folder();
        Path challengeMail = person.challengeMail();
        CompletableFuture<String> delivered = deliverChallengeTo(mailbox, challengeMail);
        List<String> args = person.acme();
        args.addAll(List.of("--smtp", "smtp://127.0.0.1:" + mailServer.port()));

        EnrollCommandTest.Outcome outcome = EnrollCommandTest.enroll(args.toArray(String[]::new));

        assertThat(outcome.exit()).as(outcome.out() + outcome.err() + mailServer.maillog()).isZero();
        assertThat(delivered.join()).isNotEmpty();
        assertThat(outcome.out()).contains("sent the reply to " + CHALLENGE_FROM);
        assertThat(mailServer.maillog()).as("Postfix relayed the reply and the receiver took it").contains("status=sent (250 2.6.0 reply for order " + orderId(outcome.out()));
        IssuedCertificate signingIssued = EnrollCommandTest.assertPairWritten(fixture, folder, mailbox);
        assertThat(issuedBy(mailbox)).as("the signing certificate came from an ACME order").anySatisfy(record -> assertThat(record).startsWith(mailbox + " enroll/acme-email-reply/"));
        EnrollCommandTest.assertSigningKeyMatches(folder, mailbox, signingIssued.serial());
    }

    /** The person sends the reply themselves (here swaks, through the same mail server) with the lines letterlock-enroll shows. */
    @Test
    void showsTheReplyForThePersonToSendWhenNoMailServerIsGiven() throws Exception {
        Mailbox person = verifiedMailbox("jon");
        String mailbox = person.address();
        Path folder = person.folder();
        Path challengeMail = person.challengeMail();
        CompletableFuture<String> delivered = deliverChallengeTo(mailbox, challengeMail);
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        String[] args = person.acme().toArray(String[]::new);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> EnrollCommand.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), args));

        Pattern shown = Pattern.compile("Subject \"(Re: ACME: [A-Za-z0-9_-]+)\".*?\\R(-----BEGIN ACME RESPONSE-----\\R[A-Za-z0-9_-]+\\R-----END ACME RESPONSE-----)", Pattern.DOTALL);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Matcher instructions = null;
        while (instructions == null && !exit.isDone() && System.nanoTime() < deadline) {
            Matcher candidate = shown.matcher(out.toString());
            if (candidate.find()) {
                instructions = candidate;
            }
            Thread.sleep(100);
        }
        assertThat(instructions).as("the reply's Subject and text are shown: " + out + err).isNotNull();
        Pkcs12WriterTest.run(List.of("swaks", "--server", "127.0.0.1:" + mailServer.port(), "--from", mailbox, "--to", CHALLENGE_FROM,
                "--header", "Subject: " + instructions.group(1), "--body=" + instructions.group(2)), Map.of());

        assertThat(exit.get()).as(out + err.toString() + mailServer.maillog()).isZero();
        assertThat(delivered.join()).contains(instructions.group(1).substring("Re: ".length()));
        assertThat(fixture.ca.find(serial(folder.resolve(mailbox + "-signing.pem"))).orElseThrow().profile()).isEqualTo("mailbox-signing");
    }

    @Test
    void aReplyNoMailServerVouchesForIsRefusedWithTheReceiversAnswerAndNothingIsIssued() throws Exception {
        Mailbox person = verifiedMailbox("kim");
        String mailbox = person.address();
        Path folder = person.folder();
        Path challengeMail = person.challengeMail();
        deliverChallengeTo(mailbox, challengeMail);
        List<String> args = person.acme();
        // Straight to the reply receiver (STARTTLS with Letterlock's certificate): no Authentication-Results on the way.
        args.addAll(List.of("--smtp", "smtp://127.0.0.1:" + replies.port()));

        EnrollCommandTest.Outcome outcome = EnrollCommandTest.enroll(args.toArray(String[]::new));

        assertThat(outcome.exit()).isEqualTo(1);
        assertThat(outcome.err()).contains("did not take the reply", "550 5.7.1 the reply is not authenticated");
        assertThat(issuedBy(mailbox)).isEmpty();
        assertThat(folder).doesNotExist();
    }

    @Test
    void aMailFromAnotherSenderIsNotTakenForTheChallenge() throws Exception {
        Mailbox person = verifiedMailbox("lea");
        String mailbox = person.address();
        Path folder = person.folder();
        Path challengeMail = person.challengeMail();
        List<String> args = person.acme();
        args.set(args.indexOf("60s"), "10s");
        challengeTo(mailbox).thenApply(challenge -> writeWhole(challengeMail, "From: mallory@example.net\r\nTo: " + mailbox
                + "\r\nSubject: ACME: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\nAuto-Submitted: auto-generated; type=acme\r\n\r\nanswer me\r\n"));

        EnrollCommandTest.Outcome outcome = EnrollCommandTest.enroll(args.toArray(String[]::new));

        assertThat(outcome.exit()).isEqualTo(1);
        assertThat(outcome.err()).contains("no challenge mail in " + challengeMail, "it is from mallory@example.net, the challenge comes from " + CHALLENGE_FROM);
        assertThat(issuedBy(mailbox)).isEmpty();
    }

    @Test
    void anAddressThatIsNoMailboxHereGetsTheServersProblem() throws Exception {
        String mailbox = EnrollFixture.newMailbox("max");
        Path folder = work.resolve(mailbox);

        EnrollCommandTest.Outcome outcome = EnrollCommandTest.enroll(acme(mailbox, folder, work.resolve("challenge-" + mailbox + ".eml")).toArray(String[]::new));

        assertThat(outcome.exit()).isEqualTo(1);
        assertThat(outcome.err()).contains("ACME newOrder refused (HTTP 400, rejectedIdentifier)");
        assertThat(folder).doesNotExist();
    }

    /**
     * A challenge mail left in the file by an earlier run is not answered (its response would turn this order's
     * challenge invalid): only what is written there after the command started counts.
     */
    @Test
    void aChallengeMailLeftFromAnEarlierRunIsNotAnswered() throws Exception {
        Mailbox person = verifiedMailbox("olga");
        writeWhole(person.challengeMail(), "From: " + CHALLENGE_FROM + "\r\nTo: " + person.address() + "\r\nSubject: ACME: BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\r\n"
                + "Auto-Submitted: auto-generated; type=acme\r\nMessage-ID: <old@ca.example.org>\r\n\r\nfrom yesterday\r\n");
        CompletableFuture<String> delivered = challengeTo(person.address()).thenApply(mail -> {
            try {
                // Long enough for a command that took the old file to have answered it already.
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return writeWhole(person.challengeMail(), mail);
        });
        List<String> args = person.acme();
        args.addAll(List.of("--smtp", "smtp://127.0.0.1:" + mailServer.port()));

        EnrollCommandTest.Outcome outcome = EnrollCommandTest.enroll(args.toArray(String[]::new));

        assertThat(outcome.exit()).as(outcome.out() + outcome.err()).isZero();
        assertThat(delivered.join()).isNotEmpty();
        assertThat(mailServer.maillog()).doesNotContain("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
        EnrollCommandTest.assertPairWritten(fixture, person.folder(), person.address());
    }

    /**
     * The challenge mail piped in (a mail filter running the command), answered after the nonce the command held
     * expired (the server's clock moved past its life, while the person read the mail): the command takes the
     * badNonce answer's fresh nonce and goes on.
     */
    @Test
    void readsTheChallengeFromStandardInputAndOutlivesAnExpiredNonce() throws Exception {
        Mailbox person = verifiedMailbox("pia");
        long recordsBefore = org.letterlock.platform.audit.AuditPositions.newest(fixture.platform.auditLog());
        java.io.PipedOutputStream filter = new java.io.PipedOutputStream();
        java.io.PipedInputStream standardInput = new java.io.PipedInputStream(filter, 1 << 16);
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        challengeTo(person.address()).thenAccept(mail -> {
            try (filter) {
                // Once the command holds its last nonce and reads: the mail can arrive while it still makes requests,
                // whose answers would bring nonces issued after the clock moved.
                long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                while (!out.toString().contains("reading the challenge mail from standard input") && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                fixture.clock.advance(NONCE_TTL.plusSeconds(1));
                filter.write(mail.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> args = person.acme();
        args.set(args.indexOf(person.challengeMail().toString()), "-");
        args.addAll(List.of("--smtp", "smtp://127.0.0.1:" + mailServer.port()));

        int exit = EnrollCommand.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), standardInput, args.toArray(String[]::new));

        assertThat(exit).as(out + err.toString()).isZero();
        assertThat(out.toString()).contains("reading the challenge mail from standard input");
        assertThat(fixture.platform.auditLog().read(recordsBefore, 1_000_000)).as("the nonce held was refused, and the command went on")
                .anyMatch(r -> r.event().detail().contains("the nonce is unknown here"));
        EnrollCommandTest.assertPairWritten(fixture, person.folder(), person.address());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--smtp with EST                   | --protocol est --smtp smtp://127.0.0.1:25                      | --smtp is for --protocol acme",
        "ACME options with EST             | --protocol est --challenge-mail x --challenge-timeout 1m       | --challenge-mail, --challenge-timeout are for --protocol acme",
        "renewal over ACME                 | --protocol acme --renew-within 30                              | --renew-within renews over EST, the current certificate being the proof: leave out --protocol acme",
        "ACME options with renewal         | --renew-within 30 --smtp smtp://127.0.0.1:25                   | leave out --smtp",
        "a mail server that is no SMTP URL | --protocol acme --smtp http://127.0.0.1:25 --challenge-mail x  | --smtp takes smtp://host[:port] (STARTTLS) or smtps://host[:port], not http://127.0.0.1:25",
        "a time that is none               | --protocol acme --challenge-timeout soon                       | 'soon' is not a time such as 90s, 15m or 1h",
        "a secret with ACME                | --protocol acme --secret-file /dev/null                        | --protocol acme takes no enrollment secret",
    })
    void optionsThatDoNotGoTogetherAreRefusedBeforeTheServerIsAsked(String name, String options, String refusal) throws Exception {
        String mailbox = EnrollFixture.newMailbox("quinn");
        List<String> args = new ArrayList<>(List.of(mailbox, "--server", "https://127.0.0.1:9", "--trust", root.toString(), "--passphrase-file", "/dev/null"));
        args.addAll(List.of(options.split(" ")));
        if (!args.contains("acme")) {
            args.addAll(List.of("--secret-file", "/dev/null"));
        }

        EnrollCommandTest.Outcome outcome = EnrollCommandTest.enroll(args.toArray(String[]::new));

        assertThat(outcome.err()).contains(refusal).doesNotContain("cannot reach the server");
        assertThat(outcome.exit()).as("wrong usage").isEqualTo(2);
    }

    /** The CA's audit records of certificates it issued for {@code mailbox}: who asked (the actor), for whom (the detail). */
    private static List<String> issuedBy(String mailbox) {
        return fixture.platform.auditLog().read(0, 1_000_000).stream()
                .filter(r -> r.event().action().equals("ca.issue") && r.event().outcome() == Outcome.ALLOWED && r.event().detail().contains(mailbox))
                .map(r -> r.event().actor() + " " + r.event().detail()).toList();
    }

    private static BigInteger serial(Path pem) throws Exception {
        return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(pem))).getSerialNumber();
    }
}
