package org.letterlock.keyserver;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.letterlock.ca.IssuedCertificate;

/**
 * A zone-file fragment for the published identities of a domain. OPENPGPKEY records (RFC 7929) under
 * {@code _openpgpkey.<domain>}: data the key with only that address's user IDs. SMIMEA records (RFC 8162) under
 * {@code _smimecert.<domain>}: one per valid certificate of a verified mailbox, {@code 3 0 0} (DANE-EE, full
 * certificate, no hash; docs/keyserver.md says why). Both name an address by the first 28 octets of SHA-256 of its
 * lower-cased local part, as gpg's {@code export-dane} does (Letterlock's mailboxes are lower-case already).
 */
public final class DaneRecords {
    /** Certificate usage 3 DANE-EE, selector 0 Cert, matching type 0 Full (RFC 6698, names from RFC 7218). */
    private static final String DANE_EE_FULL_CERTIFICATE = "3 0 0";
    /** Hex digits per line of a record's certificate data, which zone files may split inside parentheses. */
    private static final int HEX_PER_LINE = 64;

    private DaneRecords() {
    }

    public static String ownerLabel(String localPart) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(localPart.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 28);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * The fragment for {@code domain}: one OPENPGPKEY record per published address and key, then one SMIMEA record per
     * certificate of each mailbox in {@code certificates} (mailboxes of other domains are left out).
     */
    public static String zone(String domain, List<StoredKey> keys, Map<String, List<IssuedCertificate>> certificates) {
        String zoneDomain = domain.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder("$ORIGIN _openpgpkey.").append(zoneDomain).append(".\n");
        for (StoredKey key : keys) {
            PGPPublicKeyRing full = OpenPgpKeys.read(key.fullKey(), KeyLimits.UNLIMITED).get(0);
            key.publishedUserIds().stream().map(StoredKey.UserId::address).flatMap(Optional::stream).distinct()
                    .filter(address -> address.endsWith("@" + zoneDomain)).forEach(address -> {
                        List<String> texts = key.publishedUserIds().stream().filter(u -> u.address().equals(Optional.of(address))).map(StoredKey.UserId::text).toList();
                        byte[] data = OpenPgpKeys.binary(OpenPgpKeys.view(full, texts::contains));
                        out.append("; ").append(key.fingerprint()).append(' ').append(address).append('\n');
                        out.append(ownerLabel(localPart(address))).append(" IN OPENPGPKEY ").append(Base64.getEncoder().encodeToString(data)).append('\n');
                    });
        }
        out.append("$ORIGIN _smimecert.").append(zoneDomain).append(".\n");
        certificates.forEach((mailbox, issued) -> {
            if (mailbox.endsWith("@" + zoneDomain)) {
                for (IssuedCertificate certificate : issued) {
                    out.append("; ").append(mailbox).append(' ').append(certificate.profile()).append(" serial ").append(certificate.serialHex())
                            .append(" until ").append(certificate.notAfter()).append('\n');
                    out.append(ownerLabel(localPart(mailbox))).append(" IN SMIMEA ").append(DANE_EE_FULL_CERTIFICATE).append(" (");
                    String hex = HexFormat.of().withUpperCase().formatHex(certificate.der());
                    for (int start = 0; start < hex.length(); start += HEX_PER_LINE) {
                        out.append("\n    ").append(hex, start, Math.min(hex.length(), start + HEX_PER_LINE));
                    }
                    out.append(" )\n");
                }
            }
        });
        return out.toString();
    }

    private static String localPart(String address) {
        return address.substring(0, address.lastIndexOf('@'));
    }
}
