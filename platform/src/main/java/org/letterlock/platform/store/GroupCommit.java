package org.letterlock.platform.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Writes that arrive together commit together: one writer thread takes whatever is queued (up to a batch) and runs it
 * in one transaction, so concurrent callers share one commit, one WAL flush and one round trip per statement instead
 * of paying each for themselves. {@link #write} returns once the caller's item is committed.
 * <p>
 * One item cannot take the others down with it: when a batch of several fails on an item's data (an integrity
 * violation, SQLSTATE class 23) or on a clash with another transaction (class 40: deadlock, serialization), each of
 * its items is run again in a transaction of its own, and only the one that fails alone sees its error. Any other
 * failure (the database gone, the connection lost, perhaps during the COMMIT) fails the whole batch at once: running
 * the items again would wait for the database once per item, and could report as refused a row that was committed.
 * The writer thread ends after a few idle seconds and is started again by the next write, so an idle store holds no
 * thread.
 */
public final class GroupCommit<T> {

    /** Writes {@code items} on {@code connection}, inside the batch's transaction. */
    @FunctionalInterface
    public interface BatchWork<T> {
        void write(Connection connection, List<T> items) throws SQLException;
    }

    private record Pending<T>(T item, CompletableFuture<Void> committed) {
    }

    private final DataSource dataSource;
    private final int maxBatch;
    private final BatchWork<T> work;
    private final ConcurrentLinkedQueue<Pending<T>> queue = new ConcurrentLinkedQueue<>();
    private final ThreadPoolExecutor writer;

    public GroupCommit(DataSource dataSource, String threadName, int maxBatch, BatchWork<T> work) {
        this.dataSource = dataSource;
        this.maxBatch = maxBatch;
        this.work = work;
        this.writer = new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Commits {@code item}, in a batch with whatever else is waiting; throws what writing it alone threw. */
    public void write(T item) throws SQLException {
        Pending<T> pending = new Pending<>(item, new CompletableFuture<>());
        queue.add(pending);
        writer.execute(this::drain);
        try {
            pending.committed().get();
        } catch (InterruptedException e) {
            if (queue.remove(pending)) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted before the write was taken: nothing was written", "57014", e);
            }
            // Taken into a batch already: its outcome is waited for, so the caller never reports a committed row as failed.
            awaitUninterruptibly(pending);
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw rethrown(e);
        }
    }

    private static void awaitUninterruptibly(Pending<?> pending) throws SQLException {
        try {
            pending.committed().join();
        } catch (java.util.concurrent.CompletionException e) {
            throw rethrown(e);
        }
    }

    private static SQLException rethrown(Exception wrapper) {
        if (wrapper.getCause() instanceof SQLException sql) {
            return sql;
        }
        throw wrapper.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(wrapper.getCause());
    }

    /** How many writes wait to be taken into a batch. */
    int queued() {
        return queue.size();
    }

    /** Runs on the writer thread: one task per write, so a task finds the queue empty when an earlier one took its item. */
    private void drain() {
        List<Pending<T>> batch = new ArrayList<>();
        for (Pending<T> next; batch.size() < maxBatch && (next = queue.poll()) != null; ) {
            batch.add(next);
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            commit(batch);
            batch.forEach(p -> p.committed().complete(null));
        } catch (SQLException | RuntimeException e) {
            if (batch.size() == 1 || !(e instanceof SQLException sql && itemsMayBeAtFault(sql))) {
                batch.forEach(p -> p.committed().completeExceptionally(e));
                return;
            }
            for (Pending<T> pending : batch) {
                try {
                    commit(List.of(pending));
                    pending.committed().complete(null);
                } catch (SQLException | RuntimeException alone) {
                    pending.committed().completeExceptionally(alone);
                }
            }
        } finally {
            // An Error on the way leaves no caller waiting forever (a no-op for every future already completed).
            IllegalStateException unfinished = new IllegalStateException("the writer thread stopped before this write was committed");
            batch.forEach(p -> p.committed().completeExceptionally(unfinished));
        }
    }

    /** An integrity violation (class 23) or a clash with another transaction (class 40): worth trying each item alone. */
    private static boolean itemsMayBeAtFault(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("23") || state.startsWith("40"));
    }

    private void commit(List<Pending<T>> batch) throws SQLException {
        List<T> items = batch.stream().map(Pending::item).toList();
        Transaction.run(dataSource, connection -> {
            work.write(connection, items);
            return null;
        });
    }
}
