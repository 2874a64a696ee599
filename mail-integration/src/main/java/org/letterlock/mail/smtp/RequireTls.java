package org.letterlock.mail.smtp;

import java.io.IOException;
import java.util.Locale;
import java.util.regex.Pattern;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.command.MailCommand;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * REQUIRETLS (RFC 8689), which SubEthaSMTP does not know: EHLO offers it once the session is under TLS, and MAIL
 * takes the parameter there (refusing it in clear), then runs SubEthaSMTP's own MAIL. The flag reaches the
 * transaction through {@link #requested()}, read on the session's thread while that MAIL runs.
 */
final class RequireTls {
    private static final Pattern PARAMETER = Pattern.compile("(?i)\\s+REQUIRETLS(?=\\s|$)");
    private static final Pattern SIZE = Pattern.compile("(?i)\\s+SIZE=(\\S*)");
    private static final ThreadLocal<Boolean> REQUESTED = ThreadLocal.withInitial(() -> false);

    private RequireTls() {
    }

    /** Whether the MAIL command being run asked for REQUIRETLS. */
    static boolean requested() {
        return REQUESTED.get();
    }

    /** EHLO as SubEthaSMTP answers it (no AUTH here), with REQUIRETLS under TLS and STARTTLS only before it. */
    static final class Ehlo extends BaseCommand {
        Ehlo() {
            super("EHLO", "Introduce yourself.", "<hostname>");
        }

        @Override
        public void execute(String commandString, Session session) throws IOException {
            String[] args = commandString.trim().split("\\s+");
            if (args.length < 2) {
                session.sendResponse("501 Syntax: EHLO hostname");
                return;
            }
            session.resetMailTransaction();
            session.setHelo(args[1]);
            StringBuilder reply = new StringBuilder("250-").append(session.getServer().getHostName()).append("\r\n250-8BITMIME");
            int maxSize = session.getServer().getMaxMessageSize();
            if (maxSize > 0) {
                reply.append("\r\n250-SIZE ").append(maxSize);
            }
            if (session.isTLSStarted()) {
                reply.append("\r\n250-REQUIRETLS");
            } else if (session.getServer().getEnableTLS()) {
                reply.append("\r\n250-STARTTLS");
            }
            reply.append("\r\n250-CHUNKING\r\n250-SMTPUTF8\r\n250 Ok");
            session.sendResponse(reply.toString());
        }
    }

    /** MAIL with the REQUIRETLS parameter understood; the rest is SubEthaSMTP's MAIL. */
    static final class Mail extends BaseCommand {
        private final MailCommand mail = new MailCommand();

        Mail() {
            super("MAIL", "Specifies the sender.", "FROM: <sender> [ <parameters> ]");
        }

        @Override
        public void execute(String commandString, Session session) throws IOException, DropConnectionException {
            boolean requireTls = PARAMETER.matcher(commandString).find() && commandString.trim().toUpperCase(Locale.ROOT).startsWith("MAIL FROM:");
            if (requireTls && !session.isTLSStarted()) {
                session.sendResponse("530 5.7.10 REQUIRETLS needs a TLS session: say STARTTLS first");
                return;
            }
            java.util.regex.Matcher size = SIZE.matcher(commandString);
            // SubEthaSMTP reads SIZE as an int and drops the connection on more: a declared size it cannot hold is over any limit (RFC 1870).
            if (size.find() && !size.group(1).matches("[0-9]{1,9}")) {
                session.sendResponse(size.group(1).matches("[0-9]+") ? "552 5.3.4 the declared SIZE is over the largest message taken here"
                        : "501 5.5.4 SIZE takes a whole number of octets");
                return;
            }
            REQUESTED.set(requireTls);
            try {
                mail.execute(requireTls ? PARAMETER.matcher(commandString).replaceAll("") : commandString, session);
            } finally {
                REQUESTED.remove();
            }
        }
    }
}
