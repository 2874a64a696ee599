package org.letterlock.keyserver;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

/**
 * A zone-file fragment of OPENPGPKEY records (RFC 7929) for the published addresses of a domain: owner name the
 * first 28 octets of SHA-256 of the lower-cased local part (as gpg's {@code export-dane} does) under
 * {@code _openpgpkey.<domain>}, data the key with only that address's user IDs.
 */
public final class DaneRecords {
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

    /** The fragment for {@code domain}: one record per published address and key. */
    public static String zone(String domain, List<StoredKey> keys) {
        String zoneDomain = domain.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder("$ORIGIN _openpgpkey.").append(zoneDomain).append(".\n");
        for (StoredKey key : keys) {
            PGPPublicKeyRing full = OpenPgpKeys.read(key.fullKey(), KeyLimits.UNLIMITED).get(0);
            key.publishedUserIds().stream().map(StoredKey.UserId::address).flatMap(Optional::stream).distinct()
                    .filter(address -> address.endsWith("@" + zoneDomain)).forEach(address -> {
                        List<String> texts = key.publishedUserIds().stream().filter(u -> u.address().equals(Optional.of(address))).map(StoredKey.UserId::text).toList();
                        byte[] data = OpenPgpKeys.binary(OpenPgpKeys.view(full, texts::contains));
                        out.append("; ").append(key.fingerprint()).append(' ').append(address).append('\n');
                        out.append(ownerLabel(address.substring(0, address.lastIndexOf('@')))).append(" IN OPENPGPKEY ")
                                .append(Base64.getEncoder().encodeToString(data)).append('\n');
                    });
        }
        return out.toString();
    }
}
