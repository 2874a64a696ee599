package org.letterlock.mail.policy;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.letterlock.mail.smtp.MailboxSyntax;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.secret.VaultSeal;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Passphrases for mail to people outside who have no key, sealed through the vault ({@link VaultSeal}) so the database
 * alone never reveals them; the row's sender and recipient are the associated data.
 * A sender's own passphrase for a recipient wins over one for the recipient's domain, and either over the
 * organisation's ({@code *}, set by an admin).
 */
public final class PassphraseBook {
    public static final String KEY_OBJECT = "gateway-passphrases";
    private static final int MAX_PASSPHRASE_BYTES = 256;
    private static final int MIN_PASSPHRASE_CHARS = 8;

    private final Jdbc jdbc;
    private final VaultSeal seal;
    private final AuditRecorder audit;
    private final Clock clock;

    public PassphraseBook(javax.sql.DataSource dataSource, KeyVault vault, String tokenLabel, AuditRecorder audit, Clock clock) {
        this.jdbc = new Jdbc(dataSource);
        this.seal = VaultSeal.of(vault, KeyUri.of(tokenLabel, KEY_OBJECT));
        this.audit = audit;
        this.clock = clock;
    }

    /** Sets (or replaces) the passphrase {@code sender} uses for {@code recipient} (a mailbox or a domain); {@code sender} is a mailbox or {@code *}. */
    public void set(String senderValue, String recipientValue, char[] passphrase, String by) {
        String sender = sender(senderValue);
        String recipient = recipient(recipientValue);
        byte[] sealed = seal(sender, recipient, passphrase);
        int changed = jdbc.update("UPDATE gateway_passphrase SET sealed = ?, set_at = ?, set_by = ? WHERE sender = ? AND recipient = ?", s -> {
            s.setBytes(1, sealed);
            s.setObject(2, Jdbc.utc(clock.instant()));
            s.setString(3, by);
            s.setString(4, sender);
            s.setString(5, recipient);
        });
        if (changed == 0) {
            jdbc.update("INSERT INTO gateway_passphrase (sealed, set_at, set_by, sender, recipient) VALUES (?, ?, ?, ?, ?)", s -> {
                s.setBytes(1, sealed);
                s.setObject(2, Jdbc.utc(clock.instant()));
                s.setString(3, by);
                s.setString(4, sender);
                s.setString(5, recipient);
            });
        }
        audit.record("gateway.passphrase.set", "passphrase:" + sender + "->" + recipient, Outcome.ALLOWED, changed == 0 ? "new" : "replaced");
    }

    public boolean remove(String senderValue, String recipientValue) {
        String sender = sender(senderValue);
        String recipient = recipient(recipientValue);
        boolean removed = jdbc.update("DELETE FROM gateway_passphrase WHERE sender = ? AND recipient = ?", s -> {
            s.setString(1, sender);
            s.setString(2, recipient);
        }) > 0;
        if (removed) {
            audit.record("gateway.passphrase.remove", "passphrase:" + sender + "->" + recipient, Outcome.ALLOWED, "");
        }
        return removed;
    }

    /** The passphrase for mail from {@code sender} to {@code recipient}, most specific first; the caller wipes it after use. */
    public Optional<char[]> find(String sender, String recipient) {
        String mailbox = MailboxSyntax.normalized(recipient);
        String domain = MailboxSyntax.domainOf(recipient);
        String from = sender.isEmpty() ? RecipientRule.ORGANISATION : MailboxSyntax.normalized(sender);
        for (String[] row : List.of(new String[] {from, mailbox}, new String[] {from, domain}, new String[] {RecipientRule.ORGANISATION, mailbox},
                new String[] {RecipientRule.ORGANISATION, domain})) {
            List<byte[]> sealed = jdbc.query("SELECT sealed FROM gateway_passphrase WHERE sender = ? AND recipient = ?", s -> {
                s.setString(1, row[0]);
                s.setString(2, row[1]);
            }, r -> r.getBytes(1));
            if (!sealed.isEmpty()) {
                return Optional.of(open(row[0], row[1], sealed.get(0)));
            }
        }
        return Optional.empty();
    }

    private byte[] seal(String sender, String recipient, char[] passphrase) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] plain = new byte[encoded.remaining()];
        encoded.get(plain);
        Arrays.fill(encoded.array(), (byte) 0);
        try {
            if (passphrase.length < MIN_PASSPHRASE_CHARS || plain.length > MAX_PASSPHRASE_BYTES) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "a passphrase has at least " + MIN_PASSPHRASE_CHARS + " characters and at most "
                        + MAX_PASSPHRASE_BYTES + " bytes in UTF-8");
            }
            return seal.seal(plain, associatedData(sender, recipient));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private char[] open(String sender, String recipient, byte[] sealed) {
        byte[] plain = seal.open(sealed, associatedData(sender, recipient), "passphrase for " + sender + " -> " + recipient);
        CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(plain));
        Arrays.fill(plain, (byte) 0);
        char[] passphrase = new char[chars.remaining()];
        chars.get(passphrase);
        Arrays.fill(chars.array(), '\0');
        return passphrase;
    }

    private static byte[] associatedData(String sender, String recipient) {
        return (sender + "\n" + recipient).getBytes(StandardCharsets.UTF_8);
    }

    private static String sender(String value) {
        String trimmed = value == null ? "" : value.trim();
        if (trimmed.equals(RecipientRule.ORGANISATION)) {
            return trimmed;
        }
        if (!MailboxSyntax.valid(trimmed)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "the sender is a mailbox address or '*' (everyone); got '" + trimmed + "'");
        }
        return MailboxSyntax.normalized(trimmed);
    }

    private static String recipient(String value) {
        String scope = RecipientRule.scopeOf(value);
        if (scope.equals(RecipientRule.ORGANISATION)) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "a passphrase is for a recipient mailbox or domain, not for everyone");
        }
        return scope;
    }
}
