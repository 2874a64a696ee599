package org.letterlock.platform.mail;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** Writes each message as an .eml file into a folder: the transport for tests and for a first run without a relay. */
public final class FileMailSender implements MailSender {
    private final Path outbox;
    private final String from;
    private final Session session = Messages.session(new Properties());

    public FileMailSender(Path outbox, String from) {
        this.outbox = outbox;
        this.from = from;
    }

    @Override
    public void send(String to, String subject, String body, Map<String, String> headers) {
        try {
            Files.createDirectories(outbox);
            String name = System.currentTimeMillis() + "-" + UUID.randomUUID();
            Path partial = outbox.resolve(name + ".tmp");
            try (OutputStream out = Files.newOutputStream(partial)) {
                Messages.build(session, from, to, subject, body, headers).writeTo(out);
            }
            Files.move(partial, outbox.resolve(name + ".eml"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | MessagingException e) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "could not write mail to " + outbox + ": " + e.getMessage(), e);
        }
    }
}
