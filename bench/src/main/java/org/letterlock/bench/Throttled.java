package org.letterlock.bench;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * Streams that move at most a given number of bytes per second (on average since the first byte), by sleeping when
 * ahead: {@code mail-large} slows its client and sink down so that each phase of a large message (in, spooled,
 * encrypted, out) lasts long enough to be sampled several times.
 */
final class Throttled {
    private Throttled() {
    }

    /** How long to sleep, in nanoseconds, after {@code bytes} bytes in {@code elapsedNanos} at {@code bytesPerSecond}: 0 when not ahead. */
    static long delayNanos(long bytes, long elapsedNanos, long bytesPerSecond) {
        long due = (long) (bytes * 1e9 / bytesPerSecond);
        return Math.max(0, due - elapsedNanos);
    }

    private static void pace(long started, long bytes, long bytesPerSecond) throws InterruptedIOException {
        long delay = delayNanos(bytes, System.nanoTime() - started, bytesPerSecond);
        if (delay > 1_000_000) {
            try {
                Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while throttled");
            }
        }
    }

    /** Reads at most 64 KB at a time, and no faster than the rate. */
    static final class Input extends FilterInputStream {
        private final long bytesPerSecond;
        private long started = -1;
        private long bytes;

        Input(InputStream in, long bytesPerSecond) {
            super(in);
            this.bytesPerSecond = bytesPerSecond;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, Math.min(len, 64 * 1024));
            if (n > 0) {
                if (started < 0) {
                    started = System.nanoTime();
                }
                bytes += n;
                pace(started, bytes, bytesPerSecond);
            }
            return n;
        }
    }

    /** Writes in pieces of at most 64 KB, no faster than the rate. */
    static final class Output extends FilterOutputStream {
        private final long bytesPerSecond;
        private long started = -1;
        private long bytes;

        Output(OutputStream out, long bytesPerSecond) {
            super(out);
            this.bytesPerSecond = bytesPerSecond;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, 64 * 1024);
                if (started < 0) {
                    started = System.nanoTime();
                }
                out.write(b, off, n);
                bytes += n;
                pace(started, bytes, bytesPerSecond);
                off += n;
                len -= n;
            }
        }
    }
}
