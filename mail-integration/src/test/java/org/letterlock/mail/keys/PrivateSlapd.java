package org.letterlock.mail.keys;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.letterlock.ca.Tools;

/**
 * OpenLDAP's slapd of the test's own: a slapd.conf with the core, cosine and inetOrgPerson schemas and one mdb
 * database in its folder, loaded offline with slapadd, then serving LDAP (with StartTLS) and LDAPS on free loopback
 * ports with the given certificate. Run in the foreground ({@code -d 0}) so that stopping the process stops it.
 */
final class PrivateSlapd implements AutoCloseable {
    private final Process process;
    final int ldapPort;
    final int ldapsPort;

    private PrivateSlapd(Process process, int ldapPort, int ldapsPort) {
        this.process = process;
        this.ldapPort = ldapPort;
        this.ldapsPort = ldapsPort;
    }

    static PrivateSlapd start(Path dir, String suffix, Path certificate, Path key, String ldif) throws Exception {
        Path database = Files.createDirectories(dir.resolve("mdb"));
        String conf = "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\ninclude /etc/ldap/schema/inetorgperson.schema\n"
                + "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
                + "pidfile " + dir.resolve("slapd.pid") + "\nargsfile " + dir.resolve("slapd.args") + "\n"
                + "TLSCertificateFile " + certificate + "\nTLSCertificateKeyFile " + key + "\n"
                + "database mdb\nmaxsize 10485760\nsuffix \"" + suffix + "\"\nrootdn \"cn=admin," + suffix + "\"\ndirectory " + database + "\nindex mail eq\n";
        Path confFile = Files.writeString(dir.resolve("slapd.conf"), conf);
        Path data = Files.writeString(dir.resolve("data.ldif"), ldif);
        Tools.Run loaded = new Tools(dir).run("slapadd", "-f", confFile.toString(), "-l", data.toString());
        if (loaded.exit() != 0) {
            throw new IllegalStateException("slapadd failed: " + loaded.output());
        }
        int ldapPort = LoopbackNames.freePort();
        int ldapsPort = LoopbackNames.freePort();
        Process process = new ProcessBuilder("slapd", "-d", "0", "-f", confFile.toString(), "-h", "ldap://127.0.0.1:" + ldapPort + "/ ldaps://127.0.0.1:" + ldapsPort + "/")
                .redirectErrorStream(true).redirectOutput(dir.resolve("slapd.out").toFile()).start();
        PrivateSlapd slapd = new PrivateSlapd(process, ldapPort, ldapsPort);
        slapd.awaitListening(dir);
        return slapd;
    }

    private void awaitListening(Path dir) throws Exception {
        Instant giveUp = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(giveUp)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("slapd stopped: " + Files.readString(dir.resolve("slapd.out")));
            }
            try (Socket ldap = new Socket(InetAddress.getLoopbackAddress(), ldapPort); Socket ldaps = new Socket(InetAddress.getLoopbackAddress(), ldapsPort)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("slapd did not listen within 30 s");
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
