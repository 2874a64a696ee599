package org.letterlock.enroll.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigInteger;
import java.net.URL;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.Requester;
import org.letterlock.ca.RevocationReason;
import org.letterlock.enroll.EnrollFixture;
import org.letterlock.enroll.est.EstCsrs;
import org.letterlock.platform.identity.Role;
import org.letterlock.platform.store.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.exception.AcmeUnauthorizedException;

/**
 * The holder deactivates the authorization while finalize is making the certificate (RFC 8555 section 7.5.2): the
 * certificate is revoked at once and finalize answers unauthorized, so nothing usable comes of a given-up
 * authorization. The race is forced by holding PostgreSQL's lock on the certificate table, which parks the issuance
 * between the order taken for finalizing and the certificate's row; H2 has no such table lock, so this runs on
 * PostgreSQL only.
 */
class PostgresAcmeFinalizeRaceTest {
    @TempDir
    Path work;

    @Test
    void anAuthorizationDeactivatedWhileTheCertificateIsMadeRevokesIt() throws Exception {
        TestDatabases.PostgresSchema schema = new TestDatabases.PostgresSchema();
        Map<String, String> database = schema.settings();
        ExecutorService finalizer = Executors.newSingleThreadExecutor();
        try (AcmeTestServer server = new AcmeTestServer(work, database)) {
            String mailbox = EnrollFixture.newMailbox("race");
            server.fixture.verifiedMailbox(mailbox, "ada");
            AcmeTestServer.ChallengedOrder challenged = server.challengedOrder(mailbox);
            server.sendReply(challenged.mail().reply(mailbox, challenged.response(""), AcmeTestServer.dkimPass(AcmeTestServer.domain(mailbox))));
            assertThat(challenged.order().waitUntilReady(Duration.ofSeconds(10))).isEqualTo(Status.READY);
            URL authorization = challenged.order().getAuthorizations().get(0).getLocation();
            byte[] csr = EstCsrs.asking(mailbox, EstCsrs.ec("secp256r1"));

            Future<?> finalizing;
            try (Connection holder = DriverManager.getConnection(database.get("letterlock.db.url"), database.get("letterlock.db.user"),
                    System.getenv("LETTERLOCK_TEST_PG_PASSWORD"))) {
                holder.setAutoCommit(false);
                try (Statement statement = holder.createStatement()) {
                    statement.execute("LOCK TABLE ca_certificate IN EXCLUSIVE MODE");
                }
                finalizing = finalizer.submit(() -> {
                    challenged.order().execute(csr);
                    return null;
                });
                awaitWriterParkedOn(holder, "ca_certificate");
                // A second session of the same account: acme4j's sessions are not meant for two threads.
                new org.shredzone.acme4j.AccountBuilder().onlyExisting().useKeyPair(challenged.accountKey()).createLogin(server.acmeSession()).bindAuthorization(authorization)
                        .deactivate();
                holder.commit();
            }

            Throwable failure = catchThrowable(finalizing::get);
            assertThat(failure).isInstanceOf(ExecutionException.class).cause().isInstanceOf(AcmeUnauthorizedException.class)
                    .hasMessageContaining("deactivated while the order was finalized").hasMessageMatching("(?s).*certificate [0-9a-f]+ was revoked.*");
            String problem = failure.getCause().getMessage();
            BigInteger serial = new BigInteger(problem.replaceAll("(?s).*certificate ([0-9a-f]+) was revoked.*", "$1"), 16);
            String audit = String.join("\n", auditOf(server, mailbox));
            assertThat(server.fixture.ca.find(serial)).as("the certificate finalize made; the audit log of the mailbox:%n%s", audit).hasValueSatisfying(certificate ->
                    assertThat(certificate.revocation()).map(IssuedCertificate.Revocation::reason).hasValue(RevocationReason.CESSATION_OF_OPERATION));
            assertThat(server.fixture.ca.search(mailbox, null, null, 10, new Requester("rita", Set.of(Role.RA_OFFICER))))
                    .as("nothing else was issued for the mailbox; the audit log:%n%s", audit).extracting(IssuedCertificate::serial).containsExactly(serial);
            challenged.order().fetch();
            assertThat(challenged.order().getStatus()).isEqualTo(Status.INVALID);
        } finally {
            finalizer.shutdownNow();
            schema.drop();
        }
    }

    private static List<String> auditOf(AcmeTestServer server, String mailbox) {
        return server.fixture.platform.auditLog().read(0, 1_000_000).stream().filter(r -> r.event().detail().contains(mailbox) || r.event().target().contains(mailbox))
                .map(r -> r.event().action() + " " + r.event().target() + " " + r.event().outcome() + " " + r.event().detail()).toList();
    }

    /** Waits until an INSERT into {@code table} waits for its lock: the issuance, parked before its row. */
    private static void awaitWriterParkedOn(Connection holder, String table) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            try (Statement statement = holder.createStatement();
                 ResultSet waiting = statement.executeQuery("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                         + " JOIN pg_stat_activity a ON a.pid = l.pid WHERE c.relname = '" + table + "' AND c.relnamespace = current_schema()::regnamespace"
                         + " AND NOT l.granted AND a.query LIKE 'INSERT INTO " + table + " %'")) {
                waiting.next();
                if (waiting.getLong(1) > 0) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("finalize never reached the certificate table");
    }
}
