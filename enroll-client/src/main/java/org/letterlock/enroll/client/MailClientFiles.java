package org.letterlock.enroll.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/**
 * The files letterlock-enroll leaves for the mail client, in one folder only its owner can read: the modern and the
 * legacy PKCS#12 (signing key, every encryption key so older mail stays readable, certificates, CA chain), and the
 * certificates as PEM. Each file is written beside its final name and moved over it, so a crash leaves the old one.
 */
final class MailClientFiles {
    private static final String SIGNING = "signing";
    private static final String ENCRYPTION = "encryption";

    private final Path folder;
    private final String address;

    MailClientFiles(Path folder, String address) {
        this.folder = folder;
        this.address = address;
    }

    /** The signing key and certificate and the encryption keys found in the modern PKCS#12, newest encryption key first. */
    record Stored(PrivateKey signingKey, X509Certificate signing, List<EstClient.ServerKey> encryption) {
    }

    Path folder() {
        return folder;
    }

    Path modern() {
        return folder.resolve(address + ".p12");
    }

    Path legacy() {
        return folder.resolve(address + "-legacy.p12");
    }

    /** Writes the files; returns the keys they hold, named as the mail client will show them. */
    List<Pkcs12Writer.KeyEntry> write(PrivateKey signingKey, X509Certificate signing, List<EstClient.ServerKey> encryption, List<X509Certificate> chain, char[] passphrase)
            throws IOException {
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        List<Pkcs12Writer.KeyEntry> entries = new ArrayList<>();
        entries.add(new Pkcs12Writer.KeyEntry(address + " " + SIGNING, signingKey, signing));
        for (EstClient.ServerKey key : encryption) {
            String since = LocalDate.ofInstant(key.certificate().getNotBefore().toInstant(), ZoneOffset.UTC).toString();
            entries.add(new Pkcs12Writer.KeyEntry(address + " " + ENCRYPTION + " " + since + " " + key.certificate().getSerialNumber().toString(16),
                    key.privateKey(), key.certificate()));
        }
        replace(modern(), Pkcs12Writer.write(entries, chain, passphrase, Pkcs12Writer.Format.MODERN));
        replace(legacy(), Pkcs12Writer.write(entries, chain, passphrase, Pkcs12Writer.Format.LEGACY));
        replace(folder.resolve(address + "-signing.pem"), pem(List.of(signing)));
        if (!encryption.isEmpty()) {
            replace(folder.resolve(address + "-encryption.pem"), pem(List.of(encryption.get(0).certificate())));
        }
        replace(folder.resolve("ca-chain.pem"), pem(chain));
        return entries;
    }

    Stored read(char[] passphrase) throws IOException {
        Path file = modern();
        if (!Files.exists(file)) {
            throw new IOException("nothing to renew: " + file + " does not exist (enroll first)");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(Files.readAllBytes(file)), passphrase);
            PrivateKey signingKey = null;
            X509Certificate signing = null;
            List<EstClient.ServerKey> encryption = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                Key key = store.getKey(alias, passphrase);
                X509Certificate certificate = (X509Certificate) store.getCertificate(alias);
                if (alias.equals(address + " " + SIGNING)) {
                    signingKey = (PrivateKey) key;
                    signing = certificate;
                } else if (alias.startsWith(address + " " + ENCRYPTION)) {
                    encryption.add(new EstClient.ServerKey((PrivateKey) key, certificate));
                }
            }
            if (signing == null) {
                throw new IOException(file + " holds no signing key of " + address);
            }
            encryption.sort((a, b) -> b.certificate().getNotBefore().compareTo(a.certificate().getNotBefore()));
            return new Stored(signingKey, signing, encryption);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot open " + file + " (wrong passphrase?): " + e.getMessage(), e);
        }
    }

    private static void replace(Path target, byte[] content) throws IOException {
        Path next = target.resolveSibling(target.getFileName() + ".new");
        Files.write(next, content);
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-------"));
        Files.move(next, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static byte[] pem(List<X509Certificate> certificates) throws IOException {
        StringBuilder pem = new StringBuilder();
        try {
            for (X509Certificate certificate : certificates) {
                pem.append("-----BEGIN CERTIFICATE-----\n").append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            }
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IOException(e.getMessage(), e);
        }
        return pem.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
