package org.letterlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The keyserver's peers on loopback, as ../shared/ANCHORS.md runs them: SKS 1.1.6 (HKP; Debian package {@code sks}) built
 * from the same key dump, OpenLDAP slapd 2.5 (mdb backend, {@code index mail eq}) loaded with the same mailbox entries,
 * and UnboundID's SearchRate, the LDAP load generator for both directories.
 */
final class KeyserverPeers {
    static final Duration BUILD_LIMIT = Duration.ofMinutes(30);
    static final String SUFFIX = "dc=example,dc=org";

    private KeyserverPeers() {
    }

    /** An SKS base folder built from a dump: how long each step took, in seconds. */
    record SksBuild(Path base, double build, double prefixTree) {
    }

    /**
     * SKS in {@code base}: no peers, no mail sync, HKP on 127.0.0.1:{@code port}; {@code sks build} from the dump, then
     * {@code pbuild} (the reconciliation tree), each timed. ANCHORS.md runs {@code sks cleandb} in between: here it
     * crashes (exit 139) right after "Completed key merge", and a freshly built database of distinct keys has nothing to
     * merge, so it is left out.
     */
    static SksBuild buildSks(Path base, Path dump, int port, Processes processes) throws IOException, InterruptedException {
        Files.createDirectories(base.resolve("etc/sks"));
        Files.createDirectories(base.resolve("var/lib/sks/dump"));
        // sks db makes its control socket here and fails to start without the folder.
        Files.createDirectories(base.resolve("var/run/sks"));
        Files.writeString(base.resolve("etc/sks/sksconf"), String.join("\n", "hostname: localhost", "hkp_address: 127.0.0.1", "hkp_port: " + port,
                "recon_address: 127.0.0.1", "recon_port: " + Processes.freePort(), "disable_mailsync:", "dontgossip:", ""));
        Files.writeString(base.resolve("etc/sks/membership"), "");
        Files.writeString(base.resolve("etc/sks/mailsync"), "");
        Path linked = base.resolve("var/lib/sks/dump").resolve(dump.getFileName());
        Files.deleteIfExists(linked);
        Files.createSymbolicLink(linked, dump.toAbsolutePath());
        double build = timed(processes, base, List.of("sks", "build", linked.toString(), "-n", "10", "-cache", "100", "-basedir", ".", "-stdoutlog"));
        double pbuild = timed(processes, base, List.of("sks", "pbuild", "-cache", "20", "-ptree_cache", "70", "-basedir", ".", "-stdoutlog"));
        return new SksBuild(base, build, pbuild);
    }

    static Process startSks(SksBuild sks, Processes processes) throws IOException {
        return processes.start(List.of("sks", "db", "-basedir", ".", "-stdoutlog"), sks.base(), LetterlockServer.cleanEnvironment(), sks.base().resolve("sks-db.log"));
    }

    private static double timed(Processes processes, Path directory, List<String> command) throws IOException, InterruptedException {
        long began = System.nanoTime();
        processes.run(withDirectory(directory, command), BUILD_LIMIT);
        return (System.nanoTime() - began) / 1e9;
    }

    private static List<String> withDirectory(Path directory, List<String> command) {
        List<String> shell = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", directory.toString()));
        shell.addAll(command);
        return shell;
    }

    /**
     * slapd in {@code base}: core, cosine and inetorgperson schemas, one mdb database for {@value #SUFFIX} with
     * {@code index mail eq}, anonymous reads, loaded with {@code slapadd} from the LDIF (the suffix and ou=People entries
     * first).
     */
    static Path buildSlapd(Path base, Path entries, Processes processes) throws IOException, InterruptedException {
        Path db = base.resolve("db");
        Files.createDirectories(db);
        Path conf = base.resolve("slapd.conf");
        Files.writeString(conf, String.join("\n",
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "pidfile " + base.resolve("slapd.pid"),
                "argsfile " + base.resolve("slapd.args"),
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "database mdb",
                "suffix \"" + SUFFIX + "\"",
                "directory " + db,
                "maxsize 1073741824",
                "index objectClass eq",
                "index mail eq",
                "access to * by * read",
                ""));
        processes.run(List.of("slapadd", "-q", "-f", conf.toString(), "-l", entries.toString()), BUILD_LIMIT);
        return conf;
    }

    /** slapd in the foreground ({@code -d 0}) on 127.0.0.1:{@code port}. */
    static Process startSlapd(Path conf, int port, Processes processes) throws IOException {
        return processes.start(List.of("slapd", "-f", conf.toString(), "-h", "ldap://127.0.0.1:" + port + "/", "-d", "0"), conf.getParent(),
                LetterlockServer.cleanEnvironment(), conf.getParent().resolve("slapd.log"));
    }

    /** The LDIF header: the suffix and ou=People entries under which the mailbox entries go. */
    static String ldifHeader() {
        return String.join("\n", "dn: " + SUFFIX, "objectClass: top", "objectClass: dcObject", "objectClass: organization", "dc: example", "o: Example",
                "", "dn: ou=People," + SUFFIX, "objectClass: top", "objectClass: organizationalUnit", "ou: People", "", "");
    }

    /** What one SearchRate run measured: searches in its measured intervals, their average duration, entries per search, errors. */
    record SearchRateResult(long searches, double seconds, double averageMillis, double entriesPerSearch, long errors) {
        double perSecond() {
            return seconds == 0 ? 0 : searches / seconds;
        }
    }

    /**
     * UnboundID's SearchRate, {@code threads} connections each searching {@code (mail=user[0-(N-1)]@example.org)} for
     * {@code userCertificate;binary} under the suffix for {@code intervals} intervals of {@code intervalSeconds}, after
     * one warm-up interval, CSV output.
     */
    static List<String> searchRate(Path jar, int port, int mailboxes, int threads, int intervalSeconds, int intervals) {
        return List.of("java", "-cp", jar.toString(), "com.unboundid.ldap.sdk.examples.SearchRate", "--hostname", "127.0.0.1", "--port", Integer.toString(port),
                "--baseDN", SUFFIX, "--scope", "sub", "--filter", "(mail=user[0-" + (mailboxes - 1) + "]@" + OpenPgpKeyDump.DOMAIN + ")",
                "--attribute", "userCertificate;binary", "--numThreads", Integer.toString(threads), "--intervalDuration", Integer.toString(intervalSeconds),
                "--numIntervals", Integer.toString(intervals + 1), "--warmUpIntervals", "1", "--csv");
    }

    /**
     * Reads SearchRate's CSV (7.0): a header {@code Recent Searches/Sec,Recent Avg Dur ms,Recent Entries/Srch,Recent
     * Errors/Sec,Overall Searches/Sec,Overall Avg Dur ms}, then a line per interval; the warm-up's say "warming up" in the
     * overall columns and are left out.
     */
    static SearchRateResult parseSearchRate(String output, int intervalSeconds) {
        long searches = 0;
        double weightedMillis = 0;
        double weightedEntries = 0;
        long errors = 0;
        int intervals = 0;
        for (String line : output.split("\n")) {
            String[] cells = line.trim().split(",");
            if (cells.length < 6 || line.contains("warming up") || !cells[0].matches("[0-9.]+")) {
                continue;
            }
            long count = Math.round(Double.parseDouble(cells[0]) * intervalSeconds);
            searches += count;
            weightedMillis += count * Double.parseDouble(cells[1]);
            weightedEntries += count * Double.parseDouble(cells[2]);
            errors += Math.round(Double.parseDouble(cells[3]) * intervalSeconds);
            intervals++;
        }
        if (intervals == 0) {
            throw new IllegalStateException("SearchRate reported no measured interval:\n" + output);
        }
        return new SearchRateResult(searches, intervals * (double) intervalSeconds, searches == 0 ? 0 : weightedMillis / searches,
                searches == 0 ? 0 : weightedEntries / searches, errors);
    }

    /** The jar SearchRate is run from: the one UnboundID's SDK was loaded from (the shaded bench jar holds it). */
    static Path unboundIdJar() {
        try {
            return Path.of(com.unboundid.ldap.sdk.LDAPConnection.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> facts() {
        return Map.of("sks", Shell.runOr(List.of("dpkg-query", "-W", "-f=${Version}", "sks"), "?"), "slapd",
                Shell.runOr(List.of("dpkg-query", "-W", "-f=${Version}", "slapd"), "?"));
    }
}
