package org.letterlock.platform.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.letterlock.platform.store.StorageFailure;
import org.letterlock.platform.store.Transaction;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * The append-only, hash-chained audit log. One writer thread takes every pending event, writes them as one batch in
 * one transaction (group commit) and only then answers the callers: a record returned is a record committed. Each
 * batch moves the chain head row by compare-and-set, so several nodes can share one chain. Checkpoints are signed every
 * {@code checkpointEvery} records and at least every {@code checkpointInterval} while records arrive.
 */
public final class AuditLog implements AuditRecorder, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
    /** The most records one transaction carries; the verifier allows checkpoints this much further apart. */
    public static final int MAX_BATCH = 1000;
    private static final int RECORD_TIMEOUT_SECONDS = 60;
    private static final int QUEUE_CAPACITY = 100_000;
    private static final String INSERT = "INSERT INTO audit_record (seq, recorded_at, actor, action, target, outcome, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private record Pending(AuditEvent event, CompletableFuture<AuditRecord> done) {
    }

    private final DataSource dataSource;
    private final Clock clock;
    private final AuditCheckpoints checkpoints;
    private final long checkpointEvery;
    private final Duration checkpointInterval;
    private final BlockingQueue<Pending> queue;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final Thread writer;
    private volatile boolean running = true;
    private volatile long lastWrittenSeq;
    private long lastCheckpointSeq;
    private Instant lastCheckpointAt;

    public AuditLog(DataSource dataSource, Clock clock, AuditCheckpoints checkpoints, long checkpointEvery, Duration checkpointInterval) {
        this(dataSource, clock, checkpoints, checkpointEvery, checkpointInterval, QUEUE_CAPACITY);
    }

    /** With room for {@code queueCapacity} events waiting to be committed. */
    AuditLog(DataSource dataSource, Clock clock, AuditCheckpoints checkpoints, long checkpointEvery, Duration checkpointInterval, int queueCapacity) {
        this.queue = new LinkedBlockingQueue<>(queueCapacity);
        this.dataSource = dataSource;
        this.clock = clock;
        this.checkpoints = checkpoints;
        this.checkpointEvery = checkpointEvery;
        this.checkpointInterval = checkpointInterval;
        this.lastCheckpointSeq = checkpoints.latestSeq();
        this.lastCheckpointAt = clock.instant();
        this.writer = new Thread(this::writeLoop, "letterlock-audit-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    @Override
    public AuditRecord record(AuditEvent event) {
        try {
            return recordAsync(event).get(RECORD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LetterlockException le) {
                throw le;
            }
            throw new LetterlockException(ErrorType.UNAVAILABLE, "audit log write failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the audit log did not commit within " + RECORD_TIMEOUT_SECONDS + " s; the action was not done");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LetterlockException(ErrorType.UNAVAILABLE, "interrupted while waiting for the audit log");
        }
    }

    /** Queues the event, waiting up to 10 s for room; the future completes when its record is committed. */
    @Override
    public CompletableFuture<AuditRecord> recordAsync(AuditEvent event) {
        return queue(event, true);
    }

    @Override
    public CompletableFuture<AuditRecord> recordAsyncIfRoom(AuditEvent event) {
        return queue(event, false);
    }

    private CompletableFuture<AuditRecord> queue(AuditEvent event, boolean waitForRoom) {
        CompletableFuture<AuditRecord> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(new LetterlockException(ErrorType.UNAVAILABLE, "the audit log is closed"));
            return done;
        }
        Pending pending = new Pending(event, done);
        try {
            if (!(waitForRoom ? queue.offer(pending, 10, TimeUnit.SECONDS) : queue.offer(pending))) {
                done.completeExceptionally(new LetterlockException(ErrorType.UNAVAILABLE, "the audit log is not keeping up; try again"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.completeExceptionally(new LetterlockException(ErrorType.UNAVAILABLE, "interrupted while queueing an audit record"));
        }
        return done;
    }

    /** Up to {@code limit} records after sequence number {@code after}, in order. */
    public List<AuditRecord> read(long after, int limit) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT seq, recorded_at, actor, action, target, outcome, detail, prev_hash, hash FROM audit_record WHERE seq > ? ORDER BY seq LIMIT ?")) {
            query.setLong(1, after);
            query.setInt(2, limit);
            List<AuditRecord> records = new ArrayList<>();
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    AuditEvent event = new AuditEvent(row.getString(3), row.getString(4), row.getString(5), Outcome.valueOf(row.getString(6)), row.getString(7));
                    records.add(new AuditRecord(row.getLong(1), row.getObject(2, OffsetDateTime.class).toInstant(), event, row.getString(8), row.getString(9)));
                }
            }
            return records;
        } catch (SQLException e) {
            throw StorageFailure.of(e);
        } catch (IllegalArgumentException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the audit log holds a record that cannot be read; run the audit verifier", e);
        }
    }

    public long appendedCount() {
        return appended.get();
    }

    public int queuedCount() {
        return queue.size();
    }

    public long batchCount() {
        return batches.get();
    }

    /** Signs a checkpoint over the current head now (a no-op when nothing was recorded since the last one). */
    public synchronized void checkpointNow() {
        long seq = checkpoints.checkpointHead(clock.instant());
        lastCheckpointSeq = Math.max(lastCheckpointSeq, seq);
        lastCheckpointAt = clock.instant();
    }

    private void writeLoop() {
        while (running || !queue.isEmpty()) {
            Pending first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue;
            }
            if (first != null) {
                List<Pending> batch = new ArrayList<>();
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                writeBatch(batch);
            }
            maybeCheckpoint();
        }
    }

    /** The chain head as this writer last committed or read it; another node's commit makes it stale. */
    private record Head(long seq, String hash) {
    }

    private Head head;

    private void writeBatch(List<Pending> batch) {
        List<AuditRecord> records;
        try {
            records = commitBatch(batch);
        } catch (SQLException | RuntimeException e) {
            head = null;
            LOG.log(Level.SEVERE, "audit batch of " + batch.size() + " records failed; the actions waiting on it fail too", e);
            LetterlockException failure = e instanceof SQLException sql ? StorageFailure.of(sql)
                    : new LetterlockException(ErrorType.UNAVAILABLE, "the audit log could not be written; the log has the details", e);
            batch.forEach(p -> p.done().completeExceptionally(failure));
            return;
        }
        lastWrittenSeq = records.get(records.size() - 1).seq();
        appended.addAndGet(records.size());
        batches.incrementAndGet();
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).done().complete(records.get(i));
        }
    }

    /**
     * Chains the batch onto the cached head and moves the head row only if it still holds that head: a compare-and-set
     * that also takes the row lock, so writers on several nodes serialise without an extra SELECT ... FOR UPDATE per
     * commit. A writer that lost the race reloads the head and chains the batch again.
     */
    private List<AuditRecord> commitBatch(List<Pending> batch) throws SQLException {
        while (true) {
            if (head == null) {
                head = readHead();
            }
            List<AuditRecord> records = new ArrayList<>(batch.size());
            long seq = head.seq();
            String hash = head.hash();
            Instant now = clock.instant();
            for (Pending pending : batch) {
                AuditRecord record = AuditRecord.chain(++seq, now, pending.event(), hash);
                hash = record.hash();
                records.add(record);
            }
            Head next = new Head(seq, hash);
            boolean moved = Transaction.run(dataSource, connection -> {
                try (PreparedStatement update = connection.prepareStatement("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ?")) {
                    update.setLong(1, next.seq());
                    update.setString(2, next.hash());
                    update.setLong(3, head.seq());
                    if (update.executeUpdate() == 0) {
                        return false;
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
                    for (AuditRecord record : records) {
                        bind(insert, record);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                return true;
            });
            if (moved) {
                head = next;
                return records;
            }
            head = null;
        }
    }

    private Head readHead() throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT seq, hash FROM audit_head WHERE id = 1");
             ResultSet row = query.executeQuery()) {
            if (!row.next()) {
                throw new SQLException("audit_head row is missing: the audit schema was damaged");
            }
            return new Head(row.getLong(1), row.getString(2));
        }
    }

    private static void bind(PreparedStatement insert, AuditRecord record) throws SQLException {
        AuditEvent event = record.event();
        insert.setLong(1, record.seq());
        insert.setObject(2, record.recordedAt().atOffset(ZoneOffset.UTC));
        insert.setString(3, event.actor());
        insert.setString(4, event.action());
        insert.setString(5, event.target());
        insert.setString(6, event.outcome().name());
        insert.setString(7, event.detail());
        insert.setString(8, record.prevHash());
        insert.setString(9, record.hash());
    }

    private synchronized void maybeCheckpoint() {
        long head = lastWrittenSeq;
        if (head <= lastCheckpointSeq) {
            return;
        }
        boolean dueByCount = head - lastCheckpointSeq >= checkpointEvery;
        boolean dueByTime = Duration.between(lastCheckpointAt, clock.instant()).compareTo(checkpointInterval) >= 0;
        if (dueByCount || dueByTime) {
            try {
                checkpointNow();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "could not sign an audit checkpoint; will retry", e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Events queued while the writer was finishing are refused, not left waiting forever.
        List<Pending> left = new ArrayList<>();
        queue.drainTo(left);
        LetterlockException closed = new LetterlockException(ErrorType.UNAVAILABLE, "the audit log closed before this record was written");
        left.forEach(p -> p.done().completeExceptionally(closed));
    }
}
