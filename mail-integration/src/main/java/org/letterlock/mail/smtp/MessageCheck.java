package org.letterlock.mail.smtp;

/**
 * Watches a message as it streams into the spool: its size, the size of its header section and the number of its
 * fields, and its Received lines (a message that has passed this many hops is looping). It never holds the message, only the state of the line it
 * is in.
 */
final class MessageCheck {
    private static final byte[] RECEIVED = "received:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final long maxBytes;
    private long total;
    private boolean inHeader = true;
    private long headerBytes;
    private int hops;
    private int fields;
    private int column;
    private boolean lineMatches = true;
    private boolean lastWasCr;

    MessageCheck(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** A refusal the SMTP session answers with {@code code}. */
    static final class Refused extends java.io.IOException {
        private final int code;

        Refused(int code, String message) {
            super(message);
            this.code = code;
        }

        int code() {
            return code;
        }
    }

    void scan(byte[] bytes, int length) throws Refused {
        total += length;
        if (total > maxBytes) {
            throw new Refused(552, "5.3.4 Message too big for the gateway (at most " + maxBytes + " bytes)");
        }
        if (!inHeader) {
            return;
        }
        for (int i = 0; i < length && inHeader; i++) {
            byte b = bytes[i];
            // Checked at each byte, not once a chunk: a blank line later in the same chunk must not let an oversized header through.
            if (++headerBytes > SmtpReceiver.MAX_HEADER_BYTES) {
                throw new Refused(552, "5.3.4 Header section too big (at most " + SmtpReceiver.MAX_HEADER_BYTES + " bytes)");
            }
            if (b == '\n') {
                if (column == 0 || column == 1 && lastWasCr) {
                    inHeader = false;
                }
                column = 0;
                lineMatches = true;
            } else {
                // A field starts where a line does not begin with folding whitespace (RFC 5322 2.2.3).
                if (column == 0 && b != ' ' && b != '\t' && b != '\r' && ++fields > SmtpReceiver.MAX_HEADER_FIELDS) {
                    throw new Refused(552, "5.3.4 Too many header fields (at most " + SmtpReceiver.MAX_HEADER_FIELDS + ")");
                }
                if (column < RECEIVED.length) {
                    lineMatches &= Character.toLowerCase(b) == RECEIVED[column];
                    if (lineMatches && column == RECEIVED.length - 1 && ++hops > SmtpReceiver.MAX_HOPS) {
                        throw new Refused(554, "5.4.6 Routing loop: the message has passed " + SmtpReceiver.MAX_HOPS + " hops");
                    }
                }
                column++;
            }
            lastWasCr = b == '\r';
        }
    }
}
