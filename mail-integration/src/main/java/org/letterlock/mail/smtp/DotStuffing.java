package org.letterlock.mail.smtp;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a message as the DATA phase needs it (RFC 5321 4.5.2): every line ends in CRLF (a bare LF or CR becomes
 * CRLF), a line that starts with a dot gets one more, and {@link #finish} ends the last line and writes the lone dot.
 */
final class DotStuffing extends FilterOutputStream {
    private boolean lineStart = true;
    private boolean lastCr;

    DotStuffing(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        if (b == '\n') {
            if (!lastCr) {
                out.write('\r');
            }
            out.write('\n');
            lineStart = true;
            lastCr = false;
            return;
        }
        if (lastCr) {
            // A CR not followed by LF: end the line there.
            out.write('\n');
            lineStart = true;
        }
        if (b == '\r') {
            out.write('\r');
            lastCr = true;
            return;
        }
        if (lineStart && b == '.') {
            out.write('.');
        }
        out.write(b);
        lineStart = false;
        lastCr = false;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        int runStart = offset;
        int end = offset + length;
        // Copy runs of ordinary bytes in one call; hand line ends and line-initial dots to write(int).
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (b == '\r' || b == '\n' || lastCr || lineStart) {
                if (i > runStart) {
                    out.write(bytes, runStart, i - runStart);
                    lineStart = false;
                }
                write(b);
                runStart = i + 1;
            }
        }
        if (end > runStart) {
            out.write(bytes, runStart, end - runStart);
            lineStart = false;
            lastCr = false;
        }
    }

    /** Ends the last line if it is open, and the data with CRLF.CRLF. */
    void finish() throws IOException {
        if (lastCr) {
            out.write('\n');
        } else if (!lineStart) {
            out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        out.write(".\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() {
        // The connection stays open for the reply and the next transaction.
    }
}
