package org.letterlock.enroll.client;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Hands the enrolled keys to mail clients through their own tools: pk12util/certutil for Thunderbird (NSS), gpgsm. */
final class MailClientImports {
    private MailClientImports() {
    }

    /** Imports the PKCS#12 into the NSS database of a Thunderbird profile and trusts the root to issue mail certificates. */
    static void intoNss(Path profile, Path pkcs12, X509Certificate root, char[] passphrase, PrintWriter log) throws IOException {
        Path passphraseFile = secretFile(passphrase);
        Path rootFile = Files.createTempFile("letterlock-root", ".der");
        try {
            Files.write(rootFile, root.getEncoded());
            run(List.of("pk12util", "-i", pkcs12.toString(), "-d", "sql:" + profile, "-w", passphraseFile.toString()), null);
            run(List.of("certutil", "-A", "-d", "sql:" + profile, "-n", root.getSubjectX500Principal().getName(), "-t", "C,,C", "-i", rootFile.toString()), null);
            log.println("imported into the NSS database in " + profile + " (restart Thunderbird to see the keys)");
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            Files.deleteIfExists(passphraseFile);
            Files.deleteIfExists(rootFile);
        }
    }

    /**
     * Imports each key into gpgsm from a legacy PKCS#12 of its own: gpgsm 2.2 reads no other encryption and takes one
     * key per file.
     */
    static void intoGpgsm(List<Pkcs12Writer.KeyEntry> keys, List<X509Certificate> chain, char[] passphrase, Path folder, PrintWriter log) throws IOException {
        for (Pkcs12Writer.KeyEntry key : keys) {
            if (!key.key().getAlgorithm().equals("RSA")) {
                // An EC key in a PKCS#12 crashes gpgsm 2.2 (2.2.40 here); gpgsm 2.4 takes it from the modern file.
                log.println("not imported into gpgsm: " + key.name() + " is an " + key.key().getAlgorithm() + " key, which gpgsm 2.2 cannot import from PKCS#12 "
                        + "(with gpgsm 2.4: gpgsm --import the modern .p12)");
                continue;
            }
            // In the owner-only folder beside the other key files, and gone when imported.
            Path single = Files.createTempFile(folder, "gpgsm-import", ".p12", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(single, Pkcs12Writer.write(List.of(key), chain, passphrase, Pkcs12Writer.Format.LEGACY));
                run(List.of("gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", single.toString()),
                        (new String(passphrase) + "\n").getBytes(StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(single);
            }
        }
        log.println("gpgsm import done; to trust the root, add its fingerprint to trustlist.txt ("
                + chain.get(chain.size() - 1).getSubjectX500Principal().getName() + ")");
    }

    private static Path secretFile(char[] secret) throws IOException {
        Path file = Files.createTempFile("letterlock-enroll", ".pw", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, new String(secret) + "\n");
        return file;
    }

    private static void run(List<String> command, byte[] input) throws IOException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command.get(0) + " is not installed (" + e.getMessage() + "); on Debian: apt-get install "
                    + (command.get(0).equals("gpgsm") ? "gpgsm" : "libnss3-tools"), e);
        }
        if (input != null) {
            process.getOutputStream().write(input);
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command.subList(0, 2)) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
