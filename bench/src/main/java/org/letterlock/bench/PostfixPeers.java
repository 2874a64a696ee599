package org.letterlock.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mail benchmarks' peers and tools from the Postfix package, run as ../shared/ANCHORS.md runs them: a private
 * Postfix instance relaying everything for {@value #RELAY_DOMAIN} to a next hop on loopback ({@code postfix -c
 * <absolute folder>}, never the system instance), Postfix's {@code smtp-sink} as the receiving end with its running
 * counter, and {@code smtp-source} as the load generator.
 */
final class PostfixPeers {
    static final String RELAY_DOMAIN = "relay.test";
    static final String RECIPIENT = "rcpt@" + RELAY_DOMAIN;
    static final String SENDER = "sender@source.test";
    static final String INSTALL = "as root: echo \"postfix postfix/main_mailer_type select No configuration\" | debconf-set-selections; "
            + "DEBIAN_FRONTEND=noninteractive apt-get install -y postfix (smtp-source and smtp-sink come with it; the system instance need not run)";
    static final Duration START_LIMIT = Duration.ofSeconds(60);

    private PostfixPeers() {
    }

    /** Fails, saying how to install them, when the Postfix tools or {@code script} (util-linux) are missing. */
    static void require(String benchmark) {
        Shell.require(benchmark, List.of("postfix", "smtp-source", "smtp-sink", "script"), INSTALL);
        if (Shell.runOr(List.of("id", "-u", "postfix"), "").isEmpty()) {
            throw new IllegalStateException(benchmark + " needs the postfix user, which the postfix package creates: " + INSTALL);
        }
    }

    static String version() {
        return Shell.runOr(List.of("dpkg-query", "-W", "-f=${Version}", "postfix"), "?");
    }

    /** main.cf of the private relay: ANCHORS.md's settings, with the instance's own folders and logging left to syslog (absent here, as in the anchor run). */
    static String mainCf(Path base, int relayPort) {
        return String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + base.resolve("queue"),
                "data_directory = " + base.resolve("data"),
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = relay.localhost",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "mydestination =",
                "local_recipient_maps =",
                "alias_maps =",
                "alias_database =",
                "relay_domains = " + RELAY_DOMAIN,
                "relayhost = [127.0.0.1]:" + relayPort,
                "smtp_bind_address = 127.0.0.1",
                "disable_dns_lookups = yes",
                "smtp_dns_support_level = disabled",
                "smtp_host_lookup = native",
                "");
    }

    /**
     * master.cf: smtpd on 127.0.0.1:{@code port} and Debian's default services, none chrooted (a chroot needs copies of
     * system files in the queue folder, which only the system instance's init script makes).
     */
    static String masterCf(int port) {
        return String.join("\n",
                "127.0.0.1:" + port + " inet n - n - - smtpd",
                "pickup unix n - n 60 1 pickup",
                "cleanup unix n - n - 0 cleanup",
                "qmgr unix n - n 300 1 qmgr",
                "tlsmgr unix - - n 1000? 1 tlsmgr",
                "rewrite unix - - n - - trivial-rewrite",
                "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce",
                "trace unix - - n - 0 bounce",
                "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush",
                "proxymap unix - - n - - proxymap",
                "proxywrite unix - - n - 1 proxymap",
                "smtp unix - - n - - smtp",
                "relay unix - - n - - smtp",
                "showq unix n - n - - showq",
                "error unix - - n - - error",
                "retry unix - - n - - error",
                "discard unix - - n - - discard",
                "local unix - n n - - local",
                "virtual unix - n n - - virtual",
                "lmtp unix - - n - - lmtp",
                "anvil unix - - n - 1 anvil",
                "scache unix - - n - 1 scache",
                "postlog unix-dgram n - n - 1 postlogd",
                "");
    }

    /** A private Postfix relay in {@code base}: configuration in {@code base/etc}, queue in {@code base/queue}, stopped by its master's pid. */
    static final class Relay {
        private final Path base;
        private final int port;
        private final Processes processes;
        private ProcessHandle master;

        private Relay(Path base, int port, Processes processes) {
            this.base = base;
            this.port = port;
            this.processes = processes;
        }

        /** Writes the configuration and folders for smtpd on 127.0.0.1:{@code port} relaying to 127.0.0.1:{@code relayPort}. */
        static Relay create(Path base, int port, int relayPort, Processes processes) throws IOException {
            Files.createDirectories(base.resolve("etc"));
            Files.createDirectories(base.resolve("queue"));
            Files.createDirectories(base.resolve("data"));
            UserPrincipal postfix = base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
            Files.setOwner(base.resolve("data"), postfix);
            Files.writeString(base.resolve("etc/main.cf"), mainCf(base, relayPort));
            Files.writeString(base.resolve("etc/master.cf"), masterCf(port));
            return new Relay(base, port, processes);
        }

        int port() {
            return port;
        }

        Path configDirectory() {
            return base.resolve("etc");
        }

        /**
         * {@code postfix -c <etc> start}, inside {@code script} so that what it says about a bad configuration (it writes
         * only to a terminal or syslog) is in the output; then waits for the master's pid file and remembers the master.
         */
        void start() throws IOException, InterruptedException {
            Path pidFile = base.resolve("queue/pid/master.pid");
            Files.deleteIfExists(pidFile);
            String output = processes.run(List.of("script", "-qec", "postfix -c " + configDirectory() + " start", "/dev/null"), START_LIMIT);
            long deadline = System.nanoTime() + START_LIMIT.toNanos();
            while (true) {
                if (Files.exists(pidFile)) {
                    String pid = Files.readString(pidFile).strip();
                    if (!pid.isEmpty()) {
                        master = processes.track(Long.parseLong(pid)).orElseThrow(() -> new IllegalStateException("Postfix's master (" + pid + ") is gone at once:\n"
                                + output.strip()));
                        break;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("postfix -c " + configDirectory() + " start wrote no master pid file in " + START_LIMIT.toSeconds() + " s:\n"
                            + output.strip());
                }
                Thread.sleep(50);
            }
            Smtp.awaitGreeting(port, START_LIMIT);
        }

        ProcessHandle master() {
            return master;
        }

        /** SIGTERM to the master, which stops its children; any child still there after the grace period is stopped by its pid. */
        void stop() throws InterruptedException {
            if (master != null) {
                processes.stopWithChildren(master, Duration.ofSeconds(20));
                master = null;
            }
        }

        /** SIGKILL to the master and every process under it at once, as a machine losing its processes would see it; returns how many. */
        int kill() {
            List<ProcessHandle> all = new ArrayList<>(master.descendants().toList());
            all.add(0, master);
            all.forEach(ProcessHandle::destroyForcibly);
            master = null;
            return all.size();
        }
    }

    /**
     * Postfix's {@code smtp-sink -c} on 127.0.0.1: its running counter ({@code sess=N quit=N mesg=N}, a line per change
     * ending in CR) is read as it comes and each new message count is stamped with {@link System#nanoTime()}.
     */
    static final class Sink {
        private final Process process;
        private final long[] stamps;
        private volatile long count;
        private final StringBuilder tail = new StringBuilder();

        private Sink(Process process, int capacity) {
            this.process = process;
            this.stamps = new long[capacity + 1];
        }

        /** The sink's command: ANCHORS.md's {@code smtp-sink -c -u postfix 127.0.0.1:<port> 1000}. */
        static List<String> command(int port) {
            return List.of("smtp-sink", "-c", "-u", "postfix", "127.0.0.1:" + port, "1000");
        }

        /** Starts it, remembered in {@code processes}, with room for {@code capacity} messages' time stamps. */
        static Sink start(int port, int capacity, Processes processes) throws IOException, InterruptedException {
            ProcessBuilder builder = new ProcessBuilder(command(port)).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(LetterlockServer.cleanEnvironment());
            Process process = builder.start();
            processes.remember(process.toHandle());
            Sink sink = new Sink(process, capacity);
            Thread reader = new Thread(sink::read, "smtp-sink-counter");
            reader.setDaemon(true);
            reader.start();
            try {
                Smtp.awaitGreeting(port, Duration.ofSeconds(10));
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "; smtp-sink said: " + sink.tail());
            }
            return sink;
        }

        private void read() {
            byte[] buffer = new byte[8192];
            StringBuilder line = new StringBuilder();
            try (InputStream in = process.getInputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    long now = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        char c = (char) (buffer[i] & 0xff);
                        if (c == '\r' || c == '\n') {
                            counted(line, now);
                            line.setLength(0);
                        } else {
                            line.append(c);
                        }
                    }
                }
            } catch (IOException e) {
                // the sink was stopped
            }
        }

        private void counted(CharSequence line, long now) {
            long messages = messages(line);
            if (messages < 0) {
                synchronized (tail) {
                    tail.append(line).append('\n');
                    if (tail.length() > 2000) {
                        tail.delete(0, tail.length() - 2000);
                    }
                }
                return;
            }
            synchronized (this) {
                for (long m = count + 1; m <= messages && m < stamps.length; m++) {
                    stamps[(int) m] = now;
                }
                if (messages > count) {
                    count = messages;
                    notifyAll();
                }
            }
        }

        String tail() {
            synchronized (tail) {
                return tail.toString().strip();
            }
        }

        long count() {
            return count;
        }

        /** When message number {@code n} (counted from 1 since the start) was counted. */
        synchronized long stamp(long n) {
            return stamps[(int) n];
        }

        /**
         * Waits until the counter reaches {@code target}; false when it has not moved for {@code stall}.
         */
        synchronized boolean await(long target, Duration stall) throws InterruptedException {
            if (target >= stamps.length) {
                throw new IllegalArgumentException("the sink keeps stamps for " + (stamps.length - 1) + " messages");
            }
            long last = count;
            long lastChange = System.nanoTime();
            while (count < target) {
                wait(100);
                long now = System.nanoTime();
                if (count != last) {
                    last = count;
                    lastChange = now;
                } else if (now - lastChange > stall.toNanos()) {
                    return false;
                }
            }
            return true;
        }

        ProcessHandle process() {
            return process.toHandle();
        }
    }

    private static final Pattern MESSAGES = Pattern.compile("mesg=(\\d+)");

    /** The message count in one counter line of smtp-sink -c ({@code sess=3 quit=3 mesg=12}), or -1 when the line has none. */
    static long messages(CharSequence line) {
        Matcher m = MESSAGES.matcher(line);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** ANCHORS.md's load: {@code smtp-source -s <sessions> -l <bytes> -m <messages> -f sender@source.test -t rcpt@relay.test 127.0.0.1:<port>}. */
    static List<String> smtpSource(int port, int messages, int sessions, int bytes) {
        return List.of("smtp-source", "-s", Integer.toString(sessions), "-l", Integer.toString(bytes), "-m", Integer.toString(messages), "-f", SENDER, "-t",
                RECIPIENT, "127.0.0.1:" + port);
    }

    /** A command line as text, for the notes. */
    static String text(List<String> command) {
        return String.join(" ", command);
    }

}
