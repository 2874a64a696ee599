package org.letterlock.mail.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * BDAT (RFC 3030 CHUNKING, which SubEthaSMTP offers in its EHLO reply), in place of SubEthaSMTP 7.1.7's own: that one
 * takes a chunk cut short by a client that hangs up for the end of the message, so a partial message was queued and
 * delivered; and a BDAT it refuses leaves its chunk unread, to be run line by line as commands. Here every chunk is
 * read whole, whatever the reply, and a chunk cut short fails the transaction.
 */
final class BdatCommand extends BaseCommand {
    private static final Pattern SYNTAX = Pattern.compile("BDAT ([0-9]{1,18})( LAST)?", Pattern.CASE_INSENSITIVE);

    BdatCommand() {
        super("BDAT", "Sends a chunk of the message; LAST marks the final chunk.", "<size> [LAST]");
    }

    @Override
    public void execute(String commandString, Session session) throws IOException {
        Matcher bdat = SYNTAX.matcher(commandString.trim());
        if (!bdat.matches()) {
            // Without a size the chunk cannot be told from what follows it.
            session.sendResponse("501 5.5.4 Syntax: BDAT <size> [LAST]");
            return;
        }
        long size = Long.parseLong(bdat.group(1));
        if (!session.isMailTransactionInProgress() || session.getRecipientCount() == 0) {
            skip(session.getRawInput(), size);
            session.sendResponse(session.isMailTransactionInProgress() ? "503 5.5.1 Error: need RCPT command" : "503 5.5.1 Error: need MAIL command");
            return;
        }
        String reply;
        try {
            reply = session.getMessageHandler().data(new Chunks(session, size, bdat.group(2) != null));
        } catch (RejectException refused) {
            session.sendResponse(refused.getErrorResponse());
            return;
        }
        session.sendResponse("250 " + reply);
        session.resetMailTransaction();
    }

    private static void skip(InputStream in, long size) throws IOException {
        for (long left = size; left > 0; left--) {
            if (in.read() == -1) {
                throw new EOFException("the client hung up in the middle of a BDAT chunk");
            }
        }
    }

    /** The message as the chunks bring it: each chunk read to its declared end, the next BDAT line read in between. */
    private static final class Chunks extends InputStream {
        private final Session session;
        private long left;
        private long size;
        private boolean last;

        Chunks(Session session, long size, boolean last) {
            this.session = session;
            this.left = size;
            this.size = size;
            this.last = last;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            while (left == 0) {
                if (last) {
                    return -1;
                }
                nextChunk();
            }
            int n = session.getRawInput().read(bytes, offset, (int) Math.min(length, left));
            if (n == -1) {
                throw new EOFException("the client hung up in the middle of a BDAT chunk");
            }
            left -= n;
            return n;
        }

        private void nextChunk() throws IOException {
            session.sendResponse("250 2.0.0 " + size + " octets received");
            String line = session.getReader().readLine();
            if (line == null) {
                throw new EOFException("the client hung up between BDAT chunks");
            }
            Matcher bdat = SYNTAX.matcher(line.trim());
            if (!bdat.matches()) {
                session.sendResponse("503 5.5.1 Error: expected BDAT");
                throw new IOException("the client sent a command in the middle of a BDAT transaction");
            }
            size = Long.parseLong(bdat.group(1));
            left = size;
            last = bdat.group(2) != null;
        }
    }
}
