package org.letterlock.mail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.naming.Context;
import javax.naming.NamingException;
import javax.naming.directory.InitialDirContext;

/**
 * A real DNS server for the tests: dnsmasq as a child process on a free loopback port, answering only from the
 * records it is given (no upstream, no hosts file), and NXDOMAIN for other names under {@code .test}.
 */
public final class PrivateDnsmasq implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private PrivateDnsmasq(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts it on {@code port} with {@code records} as dnsmasq options ({@code --mx-host=...}, {@code --txt-record=...}, ...). */
    public static PrivateDnsmasq start(Path work, int port, List<String> records) throws Exception {
        Path log = Files.createTempFile(work, "dnsmasq", ".log");
        List<String> command = new ArrayList<>(List.of("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--port=" + port,
                "--listen-address=127.0.0.1", "--bind-interfaces", "--local=/test/", "--pid-file=", "--user=" + System.getProperty("user.name"),
                "--log-facility=" + log, "--log-queries"));
        command.addAll(records);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrivateDnsmasq dns = new PrivateDnsmasq(process, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && process.isAlive()) {
            if (dns.answers()) {
                return dns;
            }
            Thread.sleep(50);
        }
        dns.close();
        throw new IllegalStateException("dnsmasq did not answer on 127.0.0.1:" + port + ": " + Files.readString(log));
    }

    private boolean answers() {
        Hashtable<String, String> environment = new Hashtable<>();
        environment.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
        environment.put(Context.PROVIDER_URL, "dns://127.0.0.1:" + port + "/");
        environment.put("com.sun.jndi.dns.timeout.initial", "200");
        environment.put("com.sun.jndi.dns.timeout.retries", "1");
        try {
            new InitialDirContext(environment).getAttributes("probe.test", new String[] {"A"});
            return true;
        } catch (javax.naming.NameNotFoundException e) {
            return true;
        } catch (NamingException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public String log() throws Exception {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
