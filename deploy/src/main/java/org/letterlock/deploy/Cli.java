package org.letterlock.deploy;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.escrow.Escrow;
import org.letterlock.escrow.store.JdbcEscrowStore;
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
        String command = String.join(" ", args);
        if (!command.equals("init") && !command.equals("audit verify")) {
            err.println("usage: letterlock-cli init | audit verify");
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
        } catch (VaultException e) {
            err.println("letterlock: key vault: " + e.getMessage());
            return VAULT;
        } catch (LetterlockException e) {
            err.println("letterlock: " + e.getMessage());
            return UNAVAILABLE;
        }
    }
}
