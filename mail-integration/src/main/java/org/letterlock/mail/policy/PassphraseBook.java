package org.letterlock.mail.policy;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.letterlock.mail.smtp.MailboxSyntax;
import org.letterlock.platform.audit.AuditRecorder;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.store.Jdbc;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;

/**
 * Passphrases for mail to people outside who have no key, sealed so the database alone never reveals them: each is
 * encrypted with AES-256-GCM under a fresh data key, and the data key is encrypted to an RSA key that stays in the
 * vault (opening one is a vault key use, audited there). The row's sender and recipient are the GCM associated data.
 * A sender's own passphrase for a recipient wins over one for the recipient's domain, and either over the
 * organisation's ({@code *}, set by an admin).
 */
public final class PassphraseBook {
    public static final String KEY_OBJECT = "gateway-passphrases";
    /** SunPKCS11 decrypts RSA PKCS#1 v1.5 only (see escrow's KeySealer); the sealed data key is never shown to anyone, so no padding oracle is exposed. */
    private static final String KEY_TRANSPORT = "RSA/ECB/PKCS1Padding";
    private static final int MAX_PASSPHRASE_BYTES = 256;
    private static final int MIN_PASSPHRASE_CHARS = 8;
    private static final byte FORMAT = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Jdbc jdbc;
    private final KeyVault vault;
    private final KeyUri key;
    private final AuditRecorder audit;
    private final Clock clock;
    private final PublicKey sealingKey;

    public PassphraseBook(javax.sql.DataSource dataSource, KeyVault vault, String tokenLabel, AuditRecorder audit, Clock clock) {
        this.jdbc = new Jdbc(dataSource);
        this.vault = vault;
        this.key = KeyUri.of(tokenLabel, KEY_OBJECT);
        this.audit = audit;
        this.clock = clock;
        this.sealingKey = vault.contains(key) ? vault.publicKey(key) : vault.createKey(key, KeySpec.RSA_3072);
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
            byte[] dataKey = new byte[32];
            RANDOM.nextBytes(dataKey);
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher wrap = Cipher.getInstance(KEY_TRANSPORT);
            wrap.init(Cipher.ENCRYPT_MODE, sealingKey);
            byte[] wrapped = wrap.doFinal(dataKey);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(associatedData(sender, recipient));
            byte[] sealed = gcm.doFinal(plain);
            Arrays.fill(dataKey, (byte) 0);
            return ByteBuffer.allocate(1 + 2 + wrapped.length + nonce.length + sealed.length).put(FORMAT).putShort((short) wrapped.length).put(wrapped)
                    .put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "sealing a passphrase failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private char[] open(String sender, String recipient, byte[] sealed) {
        try {
            ByteBuffer in = ByteBuffer.wrap(sealed);
            if (in.get() != FORMAT) {
                throw new LetterlockException(ErrorType.CONFLICT, "the sealed passphrase for " + sender + " -> " + recipient + " has an unknown format");
            }
            byte[] wrapped = new byte[in.getShort()];
            in.get(wrapped);
            byte[] nonce = new byte[12];
            in.get(nonce);
            byte[] ciphertext = new byte[in.remaining()];
            in.get(ciphertext);
            byte[] dataKey = vault.decrypter(key).orElseThrow(() -> new LetterlockException(ErrorType.UNAVAILABLE,
                    "the vault cannot decrypt with " + key)).decrypt(KEY_TRANSPORT, wrapped);
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
            Arrays.fill(dataKey, (byte) 0);
            gcm.updateAAD(associatedData(sender, recipient));
            byte[] plain = gcm.doFinal(ciphertext);
            CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(plain));
            Arrays.fill(plain, (byte) 0);
            char[] passphrase = new char[chars.remaining()];
            chars.get(passphrase);
            Arrays.fill(chars.array(), '\0');
            return passphrase;
        } catch (GeneralSecurityException | java.nio.BufferUnderflowException e) {
            throw new LetterlockException(ErrorType.CONFLICT, "the sealed passphrase for " + sender + " -> " + recipient + " does not open: " + e.getMessage());
        }
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
