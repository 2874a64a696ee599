package org.letterlock.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.SecretSource;
import org.letterlock.vault.VaultSettings;
import org.letterlock.vault.pkcs11.SoftHsmToken;

/**
 * Signatures per second through {@link KeyVault} signers, on each back-end, next to the same work done without the vault:
 * a bare {@link Signature} loop over a SunPKCS11 provider on the same SoftHSM2 token key, and {@code openssl speed}.
 * The pkcs11 vault must reach 90% of the bare SunPKCS11 loop.
 */
public final class VaultSign implements Benchmark {
    static final String TOKEN = "letterlock-bench";
    static final List<KeySpec> KEYS = List.of(KeySpec.EC_P256, KeySpec.RSA_3072);
    static final List<Integer> THREADS = List.of(1, 2);
    static final Map<KeySpec, String> OPENSSL_NAMES = Map.of(KeySpec.EC_P256, "ecdsap256", KeySpec.RSA_3072, "rsa3072");
    static final double TARGET = 0.90;
    /** Compared loads take turns in slices of about this length. */
    static final Duration SLICE = Duration.ofMillis(200);
    /** The message every signature is over: 256 constant bytes. */
    static final byte[] MESSAGE = message(256);

    static final String MEMORY = "memory (Bouncy Castle)";
    static final String SOFT = "soft (Bouncy Castle)";
    static final String PKCS11 = "pkcs11 (SoftHSM2)";
    static final String PLAIN = "plain SunPKCS11, same key";
    static final String OPENSSL = "openssl speed";

    /** One measured figure: which signer, which key, how many threads. */
    record Cell(String backEnd, KeySpec key, int threads) {
    }

    @Override
    public String name() {
        return "vault-sign";
    }

    @Override
    public String summary() {
        return "Signatures/s through KeyVault signers (EC P-256, RSA-3072; memory, soft and pkcs11 on SoftHSM2; 1 and 2 threads), "
                + "next to a plain SunPKCS11 loop on the same token key and openssl speed.";
    }

    @Override
    public Results run(Options options) throws Exception {
        Path data = options.dataDir();
        Path softhsm2Conf = softhsm2Conf(options);
        Map<Cell, Double> rates = new LinkedHashMap<>();
        Map<Cell, String> spread = new LinkedHashMap<>();

        try (KeyVault vault = KeyVaults.open(VaultSettings.memory(TOKEN))) {
            measureVault(MEMORY, vault, options, rates);
        }

        Path softPassword = data.resolve("secrets").resolve("soft-vault.password");
        writeSecretIfMissing(softPassword);
        try (KeyVault vault = KeyVaults.open(new VaultSettings("soft", TOKEN, data, null, OptionalInt.empty(), SecretSource.file(softPassword), false))) {
            measureVault(SOFT, vault, options, rates);
        }

        Path pinFile = data.resolve("secrets").resolve("vault.pin");
        try (KeyVault vault = openPkcs11(options)) {
            for (KeySpec key : KEYS) {
                ensureKey(vault, key, options);
            }
            long slot = SoftHsmSlots.slotOf(TOKEN, softhsm2Conf);
            KeyStore plainStore = plainKeyStore(slot, Files.readAllLines(pinFile, StandardCharsets.UTF_8).get(0).toCharArray());
            for (KeySpec key : KEYS) {
                KeyUri name = keyName(key);
                PrivateKey plainKey = plainKey(plainStore, name.object());
                PublicKey publicKey = vault.publicKey(name);
                for (int threads : THREADS) {
                    Meter.Load viaVault = new Meter.Load("vault-" + key.configName(), vaultSigners(vault, name, key, publicKey, threads));
                    Meter.Load plain = new Meter.Load("plain-" + key.configName(), plainSigners(plainStore.getProvider(), plainKey, key, publicKey, threads));
                    List<Meter.Measurement> measured = Meter.interleaved(List.of(viaVault, plain), options.warmUp(), options.measure(), SLICE);
                    rates.put(new Cell(PKCS11, key, threads), measured.get(0).perSecond());
                    rates.put(new Cell(PLAIN, key, threads), measured.get(1).perSecond());
                    spread.put(new Cell(PKCS11, key, threads), spread(measured.get(0), measured.get(1)));
                    options.progress().printf(Locale.ROOT, "  %-26s %-8s %d thread(s): %s/s%n", PKCS11, key.configName(), threads, Results.rate(measured.get(0).perSecond()));
                    options.progress().printf(Locale.ROOT, "  %-26s %-8s %d thread(s): %s/s%n", PLAIN, key.configName(), threads, Results.rate(measured.get(1).perSecond()));
                }
            }
        }

        List<String> algorithms = KEYS.stream().map(OPENSSL_NAMES::get).toList();
        List<String> opensslCommands = new ArrayList<>();
        for (int processes : THREADS) {
            opensslCommands.add(String.join(" ", OpensslSpeed.command(processes, options.measureWholeSeconds(), algorithms)));
            options.progress().println("  " + opensslCommands.get(opensslCommands.size() - 1));
            Map<String, Double> figures = OpensslSpeed.run(processes, options.measureWholeSeconds(), algorithms);
            for (KeySpec key : KEYS) {
                rates.put(new Cell(OPENSSL, key, processes), figures.get(OPENSSL_NAMES.get(key)));
            }
        }
        return results(rates, spread, opensslCommands);
    }

    /**
     * The benchmark's own SoftHSM2 token store, which bench/run points SOFTHSM2_CONF at before Java starts (SoftHSM2
     * reads it only when the library loads).
     */
    static Path softhsm2Conf(Options options) {
        Path softhsm2Conf = SoftHsmToken.configFile(options.dataDir());
        String exported = System.getenv("SOFTHSM2_CONF");
        if (exported == null || !Path.of(exported).toAbsolutePath().normalize().equals(softhsm2Conf.normalize())) {
            throw new IllegalStateException("SoftHSM2 reads SOFTHSM2_CONF when the JVM starts: run this through bench/run, which exports "
                    + "SOFTHSM2_CONF=" + softhsm2Conf + " (it is " + (exported == null ? "unset" : exported) + ")");
        }
        return softhsm2Conf;
    }

    /**
     * The pkcs11 vault on the benchmark's SoftHSM2 token (created on first use, PIN in bench-data/secrets/vault.pin):
     * the raw vault signing rate other benchmarks put next to theirs.
     */
    static KeyVault openPkcs11(Options options) {
        softhsm2Conf(options);
        Path pinFile = options.dataDir().resolve("secrets").resolve("vault.pin");
        return KeyVaults.open(new VaultSettings("pkcs11", TOKEN, options.dataDir(), VaultSettings.SOFTHSM2_LIBRARY, OptionalInt.empty(),
                SecretSource.file(pinFile), true));
    }

    /**
     * How much to trust the ratio of {@code a} to {@code b}: the middle half of the ratios of side-by-side slices (how far
     * the machine's noise moves it), and the ratio by CPU time per operation (which that noise hardly moves).
     */
    static String spread(Meter.Measurement a, Meter.Measurement b) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < a.slices().size(); i++) {
            ratios.add(a.slices().get(i).perSecond() / b.slices().get(i).perSecond());
        }
        ratios.sort(null);
        String text = "slices " + Results.percent(quantile(ratios, 0.25)) + "-" + Results.percent(quantile(ratios, 0.75));
        double cpuA = a.total().cpuMicrosPerOperation();
        double cpuB = b.total().cpuMicrosPerOperation();
        if (!Double.isNaN(cpuA) && !Double.isNaN(cpuB)) {
            text += ", by CPU time " + Results.percent(cpuB / cpuA) + String.format(Locale.ROOT, " (%.0f vs %.0f us)", cpuA, cpuB);
        }
        return text;
    }

    static double quantile(List<Double> sorted, double q) {
        double position = q * (sorted.size() - 1);
        int below = (int) Math.floor(position);
        int above = (int) Math.ceil(position);
        return sorted.get(below) + (sorted.get(above) - sorted.get(below)) * (position - below);
    }

    static Results results(Map<Cell, Double> rates, Map<Cell, String> spread, List<String> opensslCommands) {
        List<List<String>> rows = new ArrayList<>();
        List<String> belowTarget = new ArrayList<>();
        List<String> vaultToPlain = new ArrayList<>();
        for (KeySpec key : KEYS) {
            for (int threads : THREADS) {
                Double plain = rates.get(new Cell(PLAIN, key, threads));
                Double openssl = rates.get(new Cell(OPENSSL, key, threads));
                for (String backEnd : List.of(MEMORY, SOFT, PKCS11, PLAIN, OPENSSL)) {
                    Double rate = rates.get(new Cell(backEnd, key, threads));
                    if (rate == null) {
                        continue;
                    }
                    String toPlain = Results.NONE;
                    if (backEnd.equals(PKCS11) && plain != null) {
                        toPlain = Results.percent(rate / plain);
                        vaultToPlain.add(key.configName() + " " + threads + "t " + toPlain
                                + (spread.containsKey(new Cell(backEnd, key, threads)) ? " (" + spread.get(new Cell(backEnd, key, threads)) + ")" : ""));
                        if (rate / plain < TARGET) {
                            belowTarget.add(key.configName() + " with " + threads + " thread(s)");
                        }
                    }
                    String toOpenssl = backEnd.equals(OPENSSL) || openssl == null ? Results.NONE : Results.percent(rate / openssl);
                    String label = backEnd.equals(OPENSSL) && threads > 1 ? OPENSSL + " -multi " + threads : backEnd;
                    rows.add(List.of(label, key.configName(), Integer.toString(threads), Results.rate(rate), toPlain, toOpenssl));
                }
            }
        }
        List<String> notes = new ArrayList<>();
        notes.add("pkcs11 vault / plain SunPKCS11 signatures/s: " + String.join("; ", vaultToPlain) + ". Target >= " + Results.percent(TARGET)
                + (belowTarget.isEmpty() ? ": met." : ": BELOW TARGET for " + String.join(", ", belowTarget) + "."));
        notes.add("Each thread has its own signer (vault) or Signature (plain) and signs the same " + MESSAGE.length
                + "-byte message back to back; one signature per signer is verified with the public key before timing.");
        notes.add("The pkcs11 and plain SunPKCS11 rows use the same token key through two SunPKCS11 provider instances and were measured "
                + "interleaved in " + SLICE.toMillis() + " ms slices (A B, B A, ...), so load from other work on the machine hits both alike. "
                + "In brackets above: the middle half of the ratios of side-by-side slices, and the ratio by CPU time per signature "
                + "of the signing threads (SoftHSM2 signs in the calling thread), which other work on the machine hardly moves.");
        notes.add("openssl speed rows: `" + String.join("` and `", opensslCommands) + "`; 1 thread is compared with 1 process, 2 threads with -multi 2.");
        notes.add("memory and soft sign with Bouncy Castle " + new BouncyCastleProvider().getVersionStr() + " in software; pkcs11 with SoftHSM2 "
                + Shell.runOr(List.of("softhsm2-util", "--version"), "?") + " (" + VaultSettings.SOFTHSM2_LIBRARY + ").");
        return new Results(List.of("back-end", "key", "threads", "signatures/s", "vs plain SunPKCS11", "vs openssl speed"), rows, notes);
    }

    private void measureVault(String backEnd, KeyVault vault, Options options, Map<Cell, Double> rates) throws Exception {
        for (KeySpec key : KEYS) {
            ensureKey(vault, key, options);
            KeyUri name = keyName(key);
            PublicKey publicKey = vault.publicKey(name);
            for (int threads : THREADS) {
                Meter.Load load = new Meter.Load(backEnd + "-" + key.configName(), vaultSigners(vault, name, key, publicKey, threads));
                double rate = Meter.measure(load, options.warmUp(), options.measure()).perSecond();
                rates.put(new Cell(backEnd, key, threads), rate);
                options.progress().printf(Locale.ROOT, "  %-26s %-8s %d thread(s): %s/s%n", backEnd, key.configName(), threads, Results.rate(rate));
            }
        }
    }

    /** A load of {@code threads} vault signers on the benchmark's key of that spec (made on the token when missing). */
    static Meter.Load vaultLoad(KeyVault vault, KeySpec key, int threads, Options options) throws Exception {
        ensureKey(vault, key, options);
        KeyUri name = keyName(key);
        return new Meter.Load("vault-" + key.configName() + "-" + threads, vaultSigners(vault, name, key, vault.publicKey(name), threads));
    }

    /** One vault signer per thread, each signing {@link #MESSAGE} the way callers do: write to its stream, then getSignature. */
    static List<Meter.Operation> vaultSigners(KeyVault vault, KeyUri name, KeySpec key, PublicKey publicKey, int threads) throws Exception {
        List<Meter.Operation> operations = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ContentSigner signer = vault.signer(name);
            OutputStream stream = signer.getOutputStream();
            stream.write(MESSAGE);
            verify(signer.getSignature(), key, publicKey, "vault signer for " + name);
            operations.add(() -> {
                stream.write(MESSAGE);
                signer.getSignature();
            });
        }
        return operations;
    }

    /** One JCA Signature per thread from the plain SunPKCS11 provider: initSign once, then update and sign in a loop. */
    private static List<Meter.Operation> plainSigners(Provider provider, PrivateKey key, KeySpec spec, PublicKey publicKey, int threads) throws Exception {
        List<Meter.Operation> operations = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Signature signature = Signature.getInstance(spec.signatureAlgorithm(), provider);
            signature.initSign(key);
            signature.update(MESSAGE);
            verify(signature.sign(), spec, publicKey, "plain SunPKCS11 " + spec.signatureAlgorithm());
            operations.add(() -> {
                signature.update(MESSAGE);
                signature.sign();
            });
        }
        return operations;
    }

    /** A SunPKCS11 provider of our own on the vault's token (same library and slot), logged in through its key store. */
    private static KeyStore plainKeyStore(long slot, char[] pin) throws Exception {
        String config = String.join("\n",
                "name = bench-plain",
                "library = " + VaultSettings.SOFTHSM2_LIBRARY,
                "slot = " + slot);
        Provider provider = Security.getProvider("SunPKCS11").configure("--" + config);
        KeyStore store = KeyStore.getInstance("PKCS11", provider);
        store.load(null, pin);
        return store;
    }

    private static PrivateKey plainKey(KeyStore store, String alias) throws Exception {
        Key key = store.getKey(alias, null);
        if (!(key instanceof PrivateKey privateKey)) {
            throw new IllegalStateException("the plain SunPKCS11 key store has no private key '" + alias + "' (aliases: "
                    + java.util.Collections.list(store.aliases()) + ")");
        }
        return privateKey;
    }

    static void ensureKey(KeyVault vault, KeySpec key, Options options) {
        KeyUri name = keyName(key);
        if (!vault.contains(name)) {
            options.progress().println("  creating " + name + " (" + key.configName() + ") on the " + vault.status().type() + " vault");
            vault.createKey(name, key);
        }
    }

    static KeyUri keyName(KeySpec key) {
        return KeyUri.of(TOKEN, "bench-" + key.configName());
    }

    private static void verify(byte[] signature, KeySpec key, PublicKey publicKey, String what) throws Exception {
        Signature verifier = Signature.getInstance(key.signatureAlgorithm());
        verifier.initVerify(publicKey);
        verifier.update(MESSAGE);
        if (!verifier.verify(signature)) {
            throw new IllegalStateException(what + " made a signature that does not verify with the public key");
        }
    }

    private static void writeSecretIfMissing(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        Files.createDirectories(file.getParent());
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, HexFormat.of().formatHex(random) + "\n");
    }

    private static byte[] message(int length) {
        byte[] message = new byte[length];
        for (int i = 0; i < length; i++) {
            message[i] = (byte) (i * 31 + 7);
        }
        return message;
    }
}
