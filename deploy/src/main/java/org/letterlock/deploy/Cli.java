package org.letterlock.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.escrow.Escrow;
import org.letterlock.escrow.store.JdbcEscrowStore;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.web.KeyserverRuntime;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.AuditVerification;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.config.ConfigException;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.vault.VaultException;

/**
 * {@code letterlock-cli.jar}: what the launcher runs outside the server. {@code init} prepares and checks the data
 * folder (token, schema, audit key, first administrator, the CA's root and issuing CA) and exits non-zero with one message when something is wrong;
 * {@code audit verify} checks the audit chain. Configuration is read as the server reads it.
 */
public final class Cli {
    static final int OK = 0;
    static final int BROKEN = 1;
    static final int USAGE = 2;
    static final int BAD_CONFIG = 3;
    static final int VAULT = 4;
    static final int UNAVAILABLE = 5;

    private Cli() {
    }

    public static void main(String[] args) {
        Logger.getLogger("").setLevel(Level.WARNING);
        Arrays.stream(Logger.getLogger("").getHandlers()).forEach(h -> h.setLevel(Level.WARNING));
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        // The records of what the command does name the operator's account, not the server.
        Actor.set("cli " + java.util.Objects.requireNonNullElse(System.getProperty("user.name"), "unknown"));
        String command = String.join(" ", args);
        boolean keyImport = args.length == 3 && args[0].equals("keyserver") && args[1].equals("import");
        if (!command.equals("init") && !command.equals("audit verify") && !keyImport) {
            err.println("usage: letterlock-cli init | audit verify | keyserver import FILE");
            return USAGE;
        }
        try (Letterlock platform = Letterlock.start(LetterlockConfig.load(LetterlockConfig.systemLookup()))) {
            if (command.equals("init")) {
                platform.auditLog().record("platform.init", "data-dir", Outcome.ALLOWED, "");
                try (CertificateAuthority ca = CertificateAuthority.start(platform, new JdbcCertificateStore(platform.database().dataSource()));
                     Escrow escrow = Escrow.start(platform, ca, new JdbcEscrowStore(platform.database().dataSource()))) {
                    out.println("CA issuers    " + ca.issuers().stream().map(i -> i.id() + " (" + i.state().name().toLowerCase() + ")").toList());
                    out.println("recovery keys " + escrow.recoveryKeys().all().stream().map(k -> k.id() + " (" + k.state().name().toLowerCase() + ")").toList());
                }
                out.println("data folder   " + platform.config().dataDir());
                out.println("key vault     " + platform.vault().status().description());
                out.println("database      " + platform.database().describe());
                platform.initialCredential().ifPresent(p -> out.println("admin login   " + p));
                return OK;
            }
            if (keyImport) {
                return importKeys(platform, Path.of(args[2]), out, err);
            }
            AuditVerification result = platform.auditVerifier().verify();
            platform.auditLog().record("audit.verify", "audit-log", Outcome.ALLOWED, result.intact() ? "intact" : "broken at " + result.firstBadSeq());
            if (result.intact()) {
                out.println("audit log intact: " + result.recordsChecked() + " records, " + result.checkpointsVerified() + " signed checkpoints verified");
                return OK;
            }
            out.println("audit log BROKEN at record " + result.firstBadSeq() + ": " + result.problem()
                    + " (" + result.recordsChecked() + " records checked before it)");
            return BROKEN;
        } catch (ConfigException e) {
            err.println("letterlock: " + e.getMessage());
            return BAD_CONFIG;
        } catch (IOException e) {
            err.println("letterlock: cannot read " + args[args.length - 1] + ": " + e.getMessage());
            return USAGE;
        } catch (VaultException e) {
            err.println("letterlock: key vault: " + e.getMessage());
            return VAULT;
        } catch (LetterlockException e) {
            err.println("letterlock: " + e.getMessage());
            return UNAVAILABLE;
        }
    }

    /** A dump of concatenated binary keys (an SKS dump, gpg --export) through the upload checks, with a progress line and a summary. */
    private static int importKeys(Letterlock platform, Path dump, PrintStream out, PrintStream err) throws IOException {
        Keyserver keyserver = KeyserverRuntime.create(platform);
        long size = Files.size(dump);
        long start = System.nanoTime();
        Keyserver.ImportSummary summary;
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(dump), 1 << 16)) {
            CountingStream counted = new CountingStream(in);
            summary = keyserver.importDump(counted, 1000, read -> err.printf("\r%s %,d keys, %.0f keys/s", bar(counted.count(), size), read,
                    read / ((System.nanoTime() - start) / 1e9)));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        err.printf("\r%s%n", bar(size, size));
        out.printf("read %,d keys in %.1f s (%,.0f keys/s): %,d stored, %,d rejected; stripped %,d third-party certifications and %,d invalid signatures%n",
                summary.read(), seconds, summary.read() / Math.max(seconds, 1e-9), summary.stored(), summary.rejected(), summary.thirdPartyStripped(),
                summary.invalidStripped());
        summary.rejections().forEach((reason, count) -> out.printf("  rejected %,d: %s%n", count, reason));
        out.println("nothing is published by an import: owners publish their addresses by uploading their key or asking for a link");
        return OK;
    }

    private static String bar(long done, long total) {
        int width = 30;
        int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
        return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + (total == 0 ? 100 : done * 100 / total) + "%";
    }

    /** Counts the bytes read, for the progress bar. */
    private static final class CountingStream extends java.io.FilterInputStream {
        private long count;

        CountingStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
