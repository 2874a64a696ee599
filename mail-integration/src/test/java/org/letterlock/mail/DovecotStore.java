package org.letterlock.mail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private Dovecot instance on loopback, the gateway's real mailbox store in tests: LMTP with STARTTLS for the
 * gateway, IMAP for reading the stored copies back as a mail client does, one Maildir per virtual user, all under
 * {@code dir} and owned by the {@code mail} user. Only the mailboxes added exist: LMTP refuses any other recipient at
 * RCPT (550 5.1.1). Started with {@code dovecot -c DIR/dovecot.conf} under its own base_dir, state_dir and instance
 * name, so it shares nothing with the system's Dovecot; it logs to one file the failures show.
 */
public final class DovecotStore implements AutoCloseable {
    private final Path dir;
    private final Path rootCertificate;
    private final int lmtpPort;
    private final int imapPort;
    /** Every mailbox's password: the mailboxes exist for the tests' reading only. */
    private final String password = UUID.randomUUID().toString();

    private DovecotStore(Path dir, Path rootCertificate, int lmtpPort, int imapPort) {
        this.dir = dir;
        this.rootCertificate = rootCertificate;
        this.lmtpPort = lmtpPort;
        this.imapPort = imapPort;
    }

    /**
     * Starts it in {@code dir} (absolute and short: Dovecot's sockets live in it and socket paths are limited) with
     * {@code tls} (chain and key file) for LMTP and IMAP; {@code rootCertificate} is what the IMAP client checks the
     * store's certificate against.
     */
    public static DovecotStore start(Path dir, Path[] tls, Path rootCertificate) throws Exception {
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("state"));
        Path mail = Files.createDirectories(dir.resolve("mail"));
        UserPrincipal mailUser = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("mail");
        Files.setOwner(mail, mailUser);
        Files.writeString(dir.resolve("users"), "");
        String uid = run("id", "-u", "mail").strip();
        int[] ports = freePorts(2);
        DovecotStore store = new DovecotStore(dir, rootCertificate, ports[0], ports[1]);
        Files.writeString(dir.resolve("dovecot.conf"), String.join("\n",
                "instance_name = ll-dovecot-" + dir.getFileName(),
                "base_dir = " + dir.resolve("run"),
                "state_dir = " + dir.resolve("state"),
                "log_path = " + dir.resolve("dovecot.log"),
                "protocols = imap lmtp",
                "listen = 127.0.0.1",
                "hostname = mailbox-store.test",
                "ssl = required",
                "ssl_cert = <" + tls[0],
                "ssl_key = <" + tls[1],
                "auth_mechanisms = plain",
                // One file names the mailboxes, their passwords and any per-mailbox quota; Dovecot re-reads it when it changes.
                "passdb {", "  driver = passwd-file", "  args = scheme=PLAIN username_format=%u " + dir.resolve("users"), "}",
                "userdb {", "  driver = passwd-file", "  args = username_format=%u " + dir.resolve("users"),
                "  default_fields = uid=mail gid=mail home=" + mail + "/%d/%n", "}",
                // Dovecot runs mail processes only as users from uid 500 up unless told otherwise; mail is a system user.
                "first_valid_uid = " + uid,
                "mail_location = maildir:~/Maildir",
                "mail_plugins = quota",
                "plugin {", "  quota = maildir:User quota", "}",
                "service lmtp {", "  inet_listener lmtp {", "    address = 127.0.0.1", "    port = " + store.lmtpPort, "  }", "}",
                "service imap-login {", "  inet_listener imap {", "    address = 127.0.0.1", "    port = " + store.imapPort, "  }",
                "  inet_listener imaps {", "    port = 0", "  }", "}", ""));
        try {
            dovecot(dir);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                if (listening(store.lmtpPort) && listening(store.imapPort)) {
                    return store;
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("Dovecot did not listen on 127.0.0.1:" + store.lmtpPort + " (LMTP) and :" + store.imapPort + " (IMAP) within 20 s:\n"
                    + store.log());
        } catch (Exception e) {
            store.close();
            throw e;
        }
    }

    /** Ports free now, all different (the probes are held open together). */
    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> probes = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                probes.add(new ServerSocket(0));
            }
            return probes.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket probe : probes) {
                probe.close();
            }
        }
    }

    private static boolean listening(int port) {
        try (Socket probe = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    public int lmtpPort() {
        return lmtpPort;
    }

    /** A mailbox for {@code address}. */
    public void addMailbox(String address) throws IOException {
        addUser(address, "");
    }

    /** A mailbox with a quota of 1 KB: the store takes the transaction and then refuses this recipient's copy alone (552 5.2.2). */
    public void addFullMailbox(String address) throws IOException {
        addUser(address, "userdb_quota_rule=*:storage=1K");
    }

    private void addUser(String address, String extraFields) throws IOException {
        Files.writeString(dir.resolve("users"), address + ":{PLAIN}" + password + "::::::" + extraFields + "\n", StandardOpenOption.APPEND);
    }

    /** The messages in the mailbox's INBOX, oldest first, as IMAP (over TLS, the store's certificate checked) hands them to a client. */
    public List<String> read(String address) throws Exception {
        // "* SEARCH 1 2 ..."
        List<String> uids = Arrays.stream(imap(address, "/INBOX", "-X", "UID SEARCH ALL").strip().split(" ")).skip(2).toList();
        List<String> messages = new ArrayList<>();
        for (String uid : uids) {
            messages.add(imap(address, "/INBOX;UID=" + uid));
        }
        return messages;
    }

    /** Waits until the mailbox holds {@code count} messages and reads them over IMAP. */
    public List<String> awaitStored(String address, int count, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (stored(address) >= count) {
                return read(address);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Dovecot stored " + stored(address) + " of " + count + " messages for " + address + " in " + limit.toSeconds() + " s; its log:\n" + log());
    }

    /** Messages LMTP has saved in the mailbox (new and seen): a saved message is renamed into one of these folders whole. */
    private long stored(String address) throws IOException {
        String[] parts = address.split("@");
        Path maildir = dir.resolve("mail").resolve(parts[1]).resolve(parts[0]).resolve("Maildir");
        long count = 0;
        for (String folder : List.of("new", "cur")) {
            if (Files.isDirectory(maildir.resolve(folder))) {
                try (Stream<Path> files = Files.list(maildir.resolve(folder))) {
                    count += files.count();
                }
            }
        }
        return count;
    }

    /** curl as the IMAP client: STARTTLS required, because Dovecot takes a plaintext login from loopback. */
    private String imap(String address, String path, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--ssl-reqd", "--cacert", rootCertificate.toString(),
                "--user", address + ":" + password, "imap://localhost:" + imapPort + path));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + output + "\nDovecot's log:\n" + log());
        }
        return output;
    }

    public String log() throws IOException {
        Path log = dir.resolve("dovecot.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    /**
     * {@code dovecot -c DIR/dovecot.conf} (which starts it) or with a command ({@code stop}). Its output goes to a file,
     * not a pipe: the master it starts keeps the standard streams it was given, so a pipe would never reach its end.
     */
    private static void dovecot(Path dir, String... command) throws Exception {
        String name = command.length == 0 ? "start" : command[0];
        Path output = dir.resolve("dovecot-" + name + ".out");
        List<String> line = new ArrayList<>(List.of("dovecot", "-c", dir.resolve("dovecot.conf").toString()));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("dovecot " + name + " did not finish in 60 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("dovecot " + name + " failed: " + Files.readString(output));
        }
    }

    /** Stops it (dovecot stop returns once the master is gone) and deletes its folder (mail, state and log). */
    @Override
    public void close() throws Exception {
        try {
            if (Files.exists(dir.resolve("run").resolve("master.pid"))) {
                dovecot(dir, "stop");
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
