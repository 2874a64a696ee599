package org.letterlock.mail.smime;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The pieces of a MIME entity written as a stream: header fields, base64 body lines, and the stream that ends it all on close. */
final class MimeOutput {
    static final byte[] CRLF = {'\r', '\n'};
    private static final int BASE64_LINE = 76;

    private MimeOutput() {
    }

    /** Writes each field and then the blank line that ends the header, all with CRLF. */
    static void header(OutputStream out, String... fields) throws IOException {
        for (String field : fields) {
            line(out, field);
        }
        out.write(CRLF);
    }

    static void line(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.write(CRLF);
    }

    /**
     * A stream that base64-encodes what it is given into {@code out} in lines of 76 characters, each ending in CRLF
     * (the last one too); closing it writes the last line and leaves {@code out} open.
     */
    static OutputStream base64Body(OutputStream out) {
        return Base64.getMimeEncoder(BASE64_LINE, CRLF).wrap(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            /** The encoder leaves the last line without its line end. */
            @Override
            public void close() throws IOException {
                out.write(CRLF);
                out.flush();
            }
        });
    }

    /** What closing a {@link #finishing} stream does: completes the entity behind it. */
    @FunctionalInterface
    interface Finish {
        void run() throws IOException;
    }

    /** A stream that passes writes to {@code target} and, on its first close, runs {@code finish} instead of closing anything itself. */
    static OutputStream finishing(OutputStream target, Finish finish) {
        return new OutputStream() {
            private boolean finished;

            @Override
            public void write(int b) throws IOException {
                target.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                target.write(bytes, offset, length);
            }

            @Override
            public void flush() throws IOException {
                target.flush();
            }

            @Override
            public void close() throws IOException {
                if (!finished) {
                    finished = true;
                    finish.run();
                }
            }
        };
    }
}
