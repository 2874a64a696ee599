package org.letterlock.mail.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import org.letterlock.mail.smtp.Reply;
import org.letterlock.mail.smtp.SmtpClient;
import org.letterlock.platform.config.GatewaySettings;

/**
 * The DNS lookups of direct delivery, through JNDI's DNS provider: MX hosts in the order RFC 5321 5.1 gives them,
 * their addresses, and TXT records. It asks the configured servers, else the system's resolvers.
 */
final class MxLookup {
    /** Records of one name and type; {@code nameExists} is false for NXDOMAIN. */
    record Answer(boolean nameExists, List<String> values) {
    }

    private final String providerUrl;
    private final Duration timeout;
    private final Random random;

    MxLookup(List<GatewaySettings.HostPort> servers, Duration timeout, Random random) {
        this.providerUrl = servers.isEmpty() ? "dns:" : servers.stream().map(s -> "dns://" + s + "/").collect(Collectors.joining(" "));
        this.timeout = timeout;
        this.random = random;
    }

    /**
     * The hosts to try for {@code domain}, best first: MX targets by preference, equal preferences shuffled; the
     * domain itself when it has no MX but an address (the implicit MX). A null MX (RFC 7505), or a domain that does not
     * exist or has neither, refuses the mail for good (5.1.10, 5.1.2); a lookup that fails is tried again later.
     */
    List<String> mxHosts(String domain) throws SmtpClient.HopRefused {
        Answer mx = lookup(domain, "MX");
        if (!mx.nameExists()) {
            throw new SmtpClient.HopRefused(Reply.local(550, "5.1.2 the recipient domain " + domain + " does not exist (DNS: no such name)"));
        }
        if (mx.values().isEmpty()) {
            if (addresses(domain).isEmpty()) {
                throw new SmtpClient.HopRefused(Reply.local(550, "5.1.2 the recipient domain " + domain + " has neither MX nor address records"));
            }
            return List.of(domain);
        }
        TreeMap<Integer, List<String>> byPreference = new TreeMap<>();
        for (String value : mx.values()) {
            String[] parts = value.trim().split("\\s+");
            if (parts.length != 2 || !parts[0].matches("\\d{1,5}")) {
                continue;
            }
            byPreference.computeIfAbsent(Integer.parseInt(parts[0]), p -> new ArrayList<>()).add(hostName(parts[1]));
        }
        List<String> ordered = new ArrayList<>();
        for (List<String> equal : byPreference.values()) {
            Collections.shuffle(equal, random);
            ordered.addAll(equal);
        }
        if (!ordered.isEmpty() && ordered.stream().allMatch(String::isEmpty)) {
            throw new SmtpClient.HopRefused(Reply.local(556, "5.1.10 the recipient domain " + domain + " publishes a null MX (RFC 7505): it takes no mail"));
        }
        ordered.removeIf(String::isEmpty);
        if (ordered.isEmpty()) {
            throw new SmtpClient.HopRefused(Reply.local(451, "4.4.3 the MX records of " + domain + " could not be read: " + mx.values()));
        }
        return List.copyOf(ordered);
    }

    /**
     * The IPv4 and IPv6 addresses of {@code host}; empty when it has none. When one of the two lookups fails, the
     * other's addresses are still returned; only when both fail (or one fails and the other finds none) is it a failure.
     */
    List<InetAddress> addresses(String host) throws SmtpClient.HopRefused {
        List<InetAddress> found = new ArrayList<>();
        SmtpClient.HopRefused failed = null;
        for (String type : List.of("A", "AAAA")) {
            try {
                found.addAll(addresses(host, type));
            } catch (SmtpClient.HopRefused e) {
                failed = e;
            }
        }
        if (found.isEmpty() && failed != null) {
            throw failed;
        }
        return found;
    }

    private List<InetAddress> addresses(String host, String type) throws SmtpClient.HopRefused {
        List<InetAddress> found = new ArrayList<>();
        for (String literal : lookup(host, type).values()) {
            try {
                // A literal address: getByName parses it and asks no resolver.
                found.add(InetAddress.getByName(literal.trim()));
            } catch (java.net.UnknownHostException e) {
                throw new SmtpClient.HopRefused(Reply.local(451, "4.4.3 DNS gave " + host + " an address that is none: " + literal));
            }
        }
        return found;
    }

    /** The TXT records of {@code name}, each as one string (its character-strings joined without delimiters). */
    List<String> txt(String name) throws SmtpClient.HopRefused {
        return lookup(name, "TXT").values().stream().map(MxLookup::characterStrings).toList();
    }

    Answer lookup(String name, String type) throws SmtpClient.HopRefused {
        Hashtable<String, String> environment = new Hashtable<>();
        environment.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
        environment.put(Context.PROVIDER_URL, providerUrl);
        environment.put("com.sun.jndi.dns.timeout.initial", String.valueOf(Math.max(1, timeout.toMillis() / 4)));
        environment.put("com.sun.jndi.dns.timeout.retries", "2");
        DirContext context = null;
        try {
            context = new InitialDirContext(environment);
            Attribute attribute = context.getAttributes(name, new String[] {type}).get(type);
            List<String> values = new ArrayList<>();
            for (int i = 0; attribute != null && i < attribute.size(); i++) {
                values.add(String.valueOf(attribute.get(i)));
            }
            return new Answer(true, values);
        } catch (NameNotFoundException e) {
            return new Answer(false, List.of());
        } catch (NamingException e) {
            throw new SmtpClient.HopRefused(Reply.local(451, "4.4.3 DNS lookup of " + type + " " + name + " failed: " + e.getMessage()));
        } finally {
            if (context != null) {
                try {
                    context.close();
                } catch (NamingException e) {
                    // Nothing is held open by a DNS context.
                }
            }
        }
    }

    /** A host name as compared: lower case, without the root's trailing dot ("." itself, the null MX, becomes empty). */
    static String hostName(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /** JNDI writes a TXT record's character-strings separated by spaces, quoting those that hold a space or quote. */
    static String characterStrings(String jndi) {
        StringBuilder joined = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < jndi.length(); i++) {
            char c = jndi.charAt(i);
            if (c == '\\' && i + 1 < jndi.length()) {
                joined.append(jndi.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c != ' ' || quoted) {
                joined.append(c);
            }
        }
        return joined.toString();
    }
}
