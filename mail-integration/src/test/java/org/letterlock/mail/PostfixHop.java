package org.letterlock.mail;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private Postfix instance on loopback, the gateway's real next hop in tests: it takes mail for example.org into
 * and partner.test (a stand-in for another provider) into one Maildir (each copy marked with Delivered-To) and refuses to relay anything else (554 5.7.1), with STARTTLS when
 * given a certificate. Started with {@code postfix -c DIR start} under {@code script}, which is how Postfix tells a
 * start failure when it has no syslog to write to.
 */
public final class PostfixHop implements AutoCloseable {
    private final Path dir;
    private final int port;

    private PostfixHop(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts it in {@code dir} (absolute and short: Postfix's socket paths are limited), with TLS if {@code tls} holds a chain and key file. */
    public static PostfixHop start(Path dir, Optional<Path[]> tls) throws Exception {
        return startOnPort(dir, tls, freePort());
    }

    public static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    /** Starts it on a given port: a hop that comes back where it was. */
    public static PostfixHop startOnPort(Path dir, Optional<Path[]> tls, int port) throws Exception {
        return start(dir, tls, port, List.of(), List.of());
    }

    /**
     * Starts it as an organisation's MTA that relays mail for {@code domain} and hands what is addressed to
     * {@code recipient} on to {@code nexthop}, a transport map's value such as {@code lmtp:[127.0.0.1]:2527}.
     */
    public static PostfixHop startRelaying(Path dir, String domain, String recipient, String nexthop) throws Exception {
        return startRelaying(dir, domain, recipient, nexthop, List.of());
    }

    /**
     * The main.cf line that makes this Postfix add, to every message it takes, the {@code Authentication-Results} a
     * DKIM verifier (OpenDKIM, rspamd) reporting as {@code authservId} would write for mail signed by {@code domain}:
     * the stand-in for a milter, which cannot run here.
     */
    public static String dkimPassFor(String authservId, String domain) {
        return "header_checks = regexp:{ {/^Subject:/ PREPEND Authentication-Results: " + authservId + "; dkim=pass header.d=" + domain + " header.s=mail} }";
    }

    /** As above, with more main.cf lines (say, {@link #dkimPassFor}). */
    public static PostfixHop startRelaying(Path dir, String domain, String recipient, String nexthop, List<String> moreSettings) throws Exception {
        List<String> settings = new ArrayList<>(List.of("relay_domains = " + domain, "transport_maps = inline:{ " + recipient + "=" + nexthop + " }"));
        settings.addAll(moreSettings);
        return start(dir, Optional.empty(), freePort(), List.of(), settings);
    }

    /**
     * Starts it with the gateway in its path as docs/mail-gateway.md tells an admin to: mail submitted on
     * {@code entryPort} goes through the content filter at {@code gatewayPort} and comes back on {@code port}, the
     * re-injection listener, which delivers it.
     */
    public static PostfixHop startAround(Path dir, Path[] tls, int entryPort, int gatewayPort, int port) throws Exception {
        return start(dir, Optional.of(tls), port, List.of(
                "127.0.0.1:" + entryPort + " inet n - n - - smtpd",
                "    -o content_filter=letterlock:[127.0.0.1]:" + gatewayPort,
                "letterlock unix - - n - 16 smtp",
                "    -o smtp_data_done_timeout=1200",
                "    -o smtp_tls_security_level=encrypt",
                "    -o disable_dns_lookups=yes",
                "    -o max_use=100",
                "    -o smtp_tls_loglevel=1",
                "127.0.0.1:" + port + " inet n - n - - smtpd",
                "    -o content_filter=",
                "    -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters,no_address_mappings",
                "    -o smtpd_helo_restrictions=",
                "    -o smtpd_client_restrictions=",
                "    -o smtpd_sender_restrictions=",
                "    -o smtpd_relay_restrictions=",
                "    -o smtpd_recipient_restrictions=permit_mynetworks,reject",
                "    -o mynetworks=127.0.0.0/8",
                "    -o smtpd_tls_security_level=may"), List.of());
    }

    private static PostfixHop start(Path dir, Optional<Path[]> tls, int port, List<String> filterServices, List<String> mainSettings) throws Exception {
        PostfixHop hop = new PostfixHop(dir, port);
        try {
            hop.configureAndStart(tls, filterServices, mainSettings);
            return hop;
        } catch (Exception | Error e) {
            // Stopped and its folder deleted: a failed start leaves nothing behind.
            hop.close();
            throw e;
        }
    }

    private void configureAndStart(Optional<Path[]> tls, List<String> filterServices, List<String> mainSettings) throws Exception {
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Path queue = Files.createDirectories(dir.resolve("queue"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Path mail = Files.createDirectories(dir.resolve("mail"));
        UserPrincipal postfix = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
        Files.setOwner(data, postfix);
        Files.setOwner(mail, postfix);
        String uid = run("id", "-u", "postfix").strip();
        String gid = run("id", "-g", "postfix").strip();
        List<String> services = new ArrayList<>(filterServices.isEmpty() ? List.of("127.0.0.1:" + port + " inet n - n - - smtpd") : filterServices);
        services.addAll(List.of(
                "cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite",
                "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush", "proxymap unix - - n - - proxymap", "smtp unix - - n - - smtp", "relay unix - - n - - smtp", "lmtp unix - - n - - lmtp",
                "error unix - - n - - error", "retry unix - - n - - error", "discard unix - - n - - discard", "virtual unix - n n - - virtual",
                "anvil unix - - n - 1 anvil", "scache unix - - n - 1 scache", "showq unix n - n - - showq", "tlsmgr unix - - n 1000? 1 tlsmgr",
                "postlog unix-dgram n - n - 1 postlogd", ""));
        Files.writeString(conf.resolve("master.cf"), String.join("\n", services));
        List<String> main = new ArrayList<>(List.of(
                "compatibility_level = 3.6", "queue_directory = " + queue, "data_directory = " + data, "mail_owner = postfix",
                "inet_interfaces = 127.0.0.1", "inet_protocols = ipv4", "mynetworks = 192.0.2.1/32", "mydestination =", "myhostname = next-hop.test",
                "virtual_mailbox_domains = example.org, partner.test", "virtual_mailbox_base = " + mail, "virtual_mailbox_maps = static:maildir/",
                "virtual_uid_maps = static:" + uid, "virtual_gid_maps = static:" + gid, "alias_maps =", "alias_database =",
                "maillog_file = " + dir.resolve("maillog"), "maillog_file_prefixes = " + dir, "disable_dns_lookups = yes", "smtp_dns_support_level = disabled",
                "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"));
        main.addAll(mainSettings);
        if (tls.isPresent()) {
            main.addAll(List.of("smtpd_tls_security_level = may", "smtpd_tls_chain_files = " + tls.get()[1] + ", " + tls.get()[0],
                    "smtpd_tls_loglevel = 1"));
        } else {
            main.add("smtpd_tls_security_level = none");
        }
        Files.writeString(conf.resolve("main.cf"), String.join("\n", main) + "\n");
        postfix("start");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("Postfix did not listen on 127.0.0.1:" + port + " within 20 s:\n" + (Files.exists(dir.resolve("maillog")) ? maillog() : "(no maillog)"));
    }

    public int port() {
        return port;
    }

    /** The copies delivered so far, oldest first. */
    public List<Path> delivered() throws IOException {
        Path maildir = dir.resolve("mail").resolve("maildir").resolve("new");
        if (!Files.isDirectory(maildir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(maildir)) {
            return files.sorted().toList();
        }
    }

    /** Waits until {@code count} copies are delivered and returns them. */
    public List<Path> awaitDelivered(int count, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            List<Path> copies = delivered();
            if (copies.size() >= count) {
                return copies;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Postfix delivered " + delivered().size() + " of " + count + " copies in " + limit.toSeconds() + " s; its log:\n" + maillog());
    }

    public String maillog() throws IOException {
        Path log = dir.resolve("maillog");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private void postfix(String command) throws Exception {
        String output = run("script", "-qec", "postfix -c " + dir.resolve("conf") + " " + command, "/dev/null");
        if (command.equals("start") && output.contains("fatal")) {
            throw new IllegalStateException("postfix " + command + ": " + output);
        }
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
        }
        return output;
    }

    /** Stops it and deletes its folder (queue, mail and log). */
    @Override
    public void close() throws Exception {
        try {
            postfix("stop");
        } finally {
            if (Files.exists(dir)) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        }
    }
}
