package org.letterlock.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.Features;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.generators.X25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.X25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

/**
 * A key dump as the keyserver benchmarks load it: {@code count} OpenPGP v4 keys, concatenated binary (what
 * {@code gpg --export} and an SKS dump hold), each an Ed25519 primary key with one user ID
 * {@code Bench User N <userN@example.org>} and an X25519 encryption subkey, self-signed as gpg 2.4 makes them; and the
 * fingerprints in order, one per line. Made once per size and kept in the benchmark data folder: generating keys is not
 * what is measured.
 */
public final class OpenPgpKeyDump {
    static final String DOMAIN = "example.org";
    private static final int CHUNK = 1_000;

    /** The dump file and its fingerprints, in the same order. */
    public record Dump(Path keys, Path fingerprints, int count) {
        public List<String> readFingerprints() throws IOException {
            return Files.readAllLines(fingerprints, StandardCharsets.US_ASCII);
        }
    }

    private OpenPgpKeyDump() {
    }

    static String address(int index) {
        return "user" + index + "@" + DOMAIN;
    }

    /**
     * The dump of the {@code count} keys numbered from {@code first} on (user{@code first}@example.org, ...) in
     * {@code dir}, made (on every core) if it is not there yet.
     */
    static Dump ensure(Path dir, int first, int count, java.io.PrintStream progress) throws IOException, InterruptedException {
        String name = "keys-" + first + "-" + (first + count);
        Path keys = dir.resolve(name + ".pgp");
        Path fingerprints = dir.resolve(name + ".fpr");
        Dump dump = new Dump(keys, fingerprints, count);
        if (Files.exists(keys) && Files.exists(fingerprints)) {
            return dump;
        }
        Files.createDirectories(dir);
        progress.printf("  generating %,d OpenPGP keys (Ed25519 + X25519) into %s ...%n", count, keys);
        long began = System.nanoTime();
        Path keysPart = dir.resolve(keys.getFileName() + ".part");
        Path fingerprintsPart = dir.resolve(fingerprints.getFileName() + ".part");
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(keysPart), 1 << 16);
             OutputStream fprOut = new BufferedOutputStream(Files.newOutputStream(fingerprintsPart))) {
            // Chunks are made in parallel and written in order, a window of a few chunks ahead.
            List<Future<List<Key>>> pending = new ArrayList<>();
            int next = first;
            int written = 0;
            while (written < count) {
                while (next < first + count && pending.size() < threads * 4) {
                    int from = next;
                    int to = Math.min(first + count, next + CHUNK);
                    pending.add(pool.submit(() -> chunk(from, to)));
                    next = to;
                }
                for (Key key : pending.remove(0).get()) {
                    out.write(key.encoded());
                    fprOut.write((key.fingerprint() + "\n").getBytes(StandardCharsets.US_ASCII));
                    written++;
                }
                if (written % 100_000 == 0) {
                    progress.printf("    %,d keys%n", written);
                }
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("key generation failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        Files.move(keysPart, keys, StandardCopyOption.REPLACE_EXISTING);
        Files.move(fingerprintsPart, fingerprints, StandardCopyOption.REPLACE_EXISTING);
        progress.printf("  %,d keys made in %.0f s%n", count, (System.nanoTime() - began) / 1e9);
        return dump;
    }

    record Key(byte[] encoded, String fingerprint) {
    }

    private static List<Key> chunk(int from, int to) {
        SecureRandom random = new SecureRandom();
        Ed25519KeyPairGenerator signing = new Ed25519KeyPairGenerator();
        signing.init(new Ed25519KeyGenerationParameters(random));
        X25519KeyPairGenerator encryption = new X25519KeyPairGenerator();
        encryption.init(new X25519KeyGenerationParameters(random));
        List<Key> keys = new ArrayList<>(to - from);
        try {
            PGPDigestCalculator sha1 = new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1);
            for (int i = from; i < to; i++) {
                // One creation time for the whole dump would make keys differ only in key material; a spread is closer to life.
                Date created = new Date(1_700_000_000_000L + i * 1000L);
                BcPGPKeyPair primary = new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY, signing.generateKeyPair(), created);
                BcPGPKeyPair subkey = new BcPGPKeyPair(PublicKeyAlgorithmTags.ECDH, encryption.generateKeyPair(), created);
                PGPSignatureSubpacketGenerator primaryPackets = new PGPSignatureSubpacketGenerator();
                primaryPackets.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
                primaryPackets.setPreferredHashAlgorithms(false, new int[] {HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA256});
                primaryPackets.setFeature(false, Features.FEATURE_MODIFICATION_DETECTION);
                PGPSignatureSubpacketGenerator subkeyPackets = new PGPSignatureSubpacketGenerator();
                subkeyPackets.setKeyFlags(true, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
                String userId = "Bench User " + i + " <" + address(i) + ">";
                PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary, userId, sha1,
                        primaryPackets.generate(), null, new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA512), null);
                generator.addSubKey(subkey, subkeyPackets.generate(), null);
                PGPPublicKeyRing ring = generator.generatePublicKeyRing();
                keys.add(new Key(ring.getEncoded(), HexFormat.of().withUpperCase().formatHex(ring.getPublicKey().getFingerprint())));
            }
        } catch (PGPException e) {
            throw new IllegalStateException("cannot make a benchmark key: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }
}
