package org.letterlock.platform.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.Database;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.platform.store.TestDatabases;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/** What the log does when its writer falls behind: the queue is bounded, and a caller that must not wait is told at once. */
class AuditLogQueueTest {
    @TempDir
    Path dataDir;

    private final KeyVault vault = KeyVaults.open(VaultSettings.memory("letterlock-test"));
    private final CountDownLatch writerInside = new CountDownLatch(1);
    private final CountDownLatch databaseBack = new CountDownLatch(1);
    private Database database;

    @BeforeEach
    void openDatabase() {
        database = Database.open(TestDatabases.h2(dataDir).get("letterlock.db.url"), "sa", "", 2);
        database.migrate();
    }

    @AfterEach
    void close() {
        databaseBack.countDown();
        database.close();
        vault.close();
    }

    /** The database, whose connections the writer waits for until {@link #databaseBack} opens. */
    private DataSource stalled() {
        DataSource real = database.dataSource();
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
            if (method.getName().equals("getConnection")) {
                writerInside.countDown();
                assertThat(databaseBack.await(30, TimeUnit.SECONDS)).isTrue();
            }
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Test
    void aFullQueueRefusesAtOnceWhomeverMustNotWaitAndLosesNothingItTook() throws Exception {
        KeyUri checkpointKey = KeyUri.of("letterlock-test", "audit-checkpoint");
        AuditCheckpoints checkpoints = new AuditCheckpoints(database.dataSource(), vault, checkpointKey);
        checkpoints.ensureKey(KeySpec.EC_P256);
        try (AuditLog log = new AuditLog(stalled(), new MovableClock(), checkpoints, 1_000_000, Duration.ofDays(1), 2)) {
            CompletableFuture<AuditRecord> first = log.recordAsync(event(1));
            assertThat(writerInside.await(5, TimeUnit.SECONDS)).as("the writer took the first record and waits for the database").isTrue();
            List<CompletableFuture<AuditRecord>> queued = List.of(log.recordAsyncIfRoom(event(2)), log.recordAsync(event(3)));
            assertThat(queued).as("room for two").noneMatch(CompletableFuture::isDone);

            long start = System.nanoTime();
            CompletableFuture<AuditRecord> refused = log.recordAsyncIfRoom(event(4));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("refused without waiting for room").isLessThan(1_000);
            assertThat(refused).isCompletedExceptionally();
            ExecutionException failure = catchThrowableOfType(refused::get, ExecutionException.class);
            assertThat(failure.getCause()).isInstanceOf(LetterlockException.class).hasMessage("the audit log is not keeping up; try again");

            databaseBack.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).seq()).isEqualTo(1);
            assertThat(queued.get(0).get(10, TimeUnit.SECONDS).seq()).isEqualTo(2);
            assertThat(queued.get(1).get(10, TimeUnit.SECONDS).seq()).isEqualTo(3);
            assertThat(log.recordAsyncIfRoom(event(5)).get(10, TimeUnit.SECONDS).seq()).as("room again once the writer caught up").isEqualTo(4);
        }
        try (Connection connection = database.dataSource().getConnection();
             var rows = connection.createStatement().executeQuery("SELECT target FROM audit_record ORDER BY seq")) {
            StringBuilder targets = new StringBuilder();
            while (rows.next()) {
                targets.append(rows.getString(1)).append(' ');
            }
            assertThat(targets.toString().trim()).isEqualTo("object-1 object-2 object-3 object-5");
        }
    }

    private static AuditEvent event(int i) {
        return new AuditEvent("tester", "test.queue", "object-" + i, Outcome.ALLOWED, "");
    }
}
