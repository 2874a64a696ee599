package org.letterlock.keyserver.web;

import com.unboundid.ldap.listener.LDAPListener;
import com.unboundid.ldap.listener.LDAPListenerClientConnection;
import com.unboundid.ldap.listener.LDAPListenerConfig;
import com.unboundid.ldap.listener.LDAPListenerRequestHandler;
import com.unboundid.ldap.listener.StartTLSRequestHandler;
import com.unboundid.ldap.protocol.AddRequestProtocolOp;
import com.unboundid.ldap.protocol.BindRequestProtocolOp;
import com.unboundid.ldap.protocol.BindResponseProtocolOp;
import com.unboundid.ldap.protocol.CompareRequestProtocolOp;
import com.unboundid.ldap.protocol.DeleteRequestProtocolOp;
import com.unboundid.ldap.protocol.ExtendedRequestProtocolOp;
import com.unboundid.ldap.protocol.ExtendedResponseProtocolOp;
import com.unboundid.ldap.protocol.LDAPMessage;
import com.unboundid.ldap.protocol.ModifyDNRequestProtocolOp;
import com.unboundid.ldap.protocol.ModifyRequestProtocolOp;
import com.unboundid.ldap.protocol.SearchRequestProtocolOp;
import com.unboundid.ldap.protocol.SearchResultDoneProtocolOp;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Control;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.RDN;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.letterlock.ca.IssuedCertificate;
import org.letterlock.ca.PublishedCertificates;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.OpenPgpKeys;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.platform.error.LetterlockException;

/**
 * A read-only LDAP directory of the published keys (UnboundID LDAP SDK listener), in the PGP keyserver schema that
 * gpg's dirmngr reads: the root DSE names the base, {@code cn=PGPServerInfo,<base>} names the key space, and each key
 * is {@code pgpCertID=<KEYID>,ou=PGP Keys,<base>} with {@code pgpKey} (armored), {@code pgpCertID}, {@code pgpKeyID},
 * {@code pgpUserID}, {@code gpgFingerprint}, {@code gpgSubFingerprint}, {@code gpgMailbox}, {@code pgpRevoked}.
 * Searches must name a key ID, fingerprint or address (an equality or substring in the filter); anonymous binds only.
 * The plain listener offers StartTLS, the LDAPS listener is TLS from the first byte; both with Letterlock's TLS identity.
 */
public final class LdapDirectory extends LDAPListenerRequestHandler {
    private static final Logger LOG = Logger.getLogger(LdapDirectory.class.getName());
    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final List<String> KEY_ATTRIBUTES = List.of("pgpcertid", "pgpkeyid", "pgpsubkeyid", "gpgfingerprint", "gpgsubfingerprint", "gpgmailbox",
            "pgpuserid", "mail");
    /** Assertions one filter may look up: each is a database query. */
    private static final int MAX_LOOKUPS = 20;
    /** gpg and gpgsm nest their filters three deep; matching walks a filter recursively, so depth is what costs stack. */
    public static final int MAX_FILTER_DEPTH = 10;

    private final Supplier<Keyserver> keyserver;
    private final Supplier<PublishedCertificates> certificates;
    private final DN base;
    /** Whether StartTLS is offered here (the plain listener), so the root DSE lists it. */
    private final boolean offersStartTls;
    private final DN people;
    private final DN keySpace;
    private final DN serverInfo;
    private final LDAPListenerClientConnection connection;
    private final CertsOnlyBundles bundles;

    private LdapDirectory(Supplier<Keyserver> keyserver, Supplier<PublishedCertificates> certificates, DN base, boolean offersStartTls,
                          CertsOnlyBundles bundles, LDAPListenerClientConnection connection) throws LDAPException {
        this.keyserver = keyserver;
        this.certificates = certificates;
        this.base = base;
        this.offersStartTls = offersStartTls;
        this.people = new DN("ou=People," + base);
        this.keySpace = new DN("ou=PGP Keys," + base);
        this.serverInfo = new DN("cn=PGPServerInfo," + base);
        this.connection = connection;
        this.bundles = bundles;
    }

    /** How a listener carries LDAP. */
    public enum Transport {
        /** Plain LDAP that offers StartTLS. */
        LDAP,
        /** TLS from the first byte. */
        LDAPS
    }

    /**
     * Starts a listener on {@code address}:{@code port} (0 for any free port) with directory base {@code base} (e.g.
     * {@code dc=example,dc=org}), its TLS (StartTLS or LDAPS, as {@code transport} says) with {@code tls}.
     */
    public static LDAPListener start(Transport transport, InetAddress address, int port, String base, SSLContext tls, Supplier<Keyserver> keyserver,
                                     Supplier<PublishedCertificates> certificates) throws IOException, LDAPException {
        return start(transport, address, port, base, tls, keyserver, certificates, ConnectionLimits.DEFAULT);
    }

    /** Connections one client address may hold, and how long one may be silent before it is closed. */
    public record ConnectionLimits(int perClient, java.time.Duration idle) {
        /** dirmngr and gpgsm open a connection per lookup; a mail system behind one address runs a few dozen at once. */
        public static final ConnectionLimits DEFAULT = new ConnectionLimits(32, java.time.Duration.ofMinutes(5));
    }

    /** As above, with {@code limits} per client address. */
    public static LDAPListener start(Transport transport, InetAddress address, int port, String base, SSLContext tls, Supplier<Keyserver> keyserver,
                                     Supplier<PublishedCertificates> certificates, ConnectionLimits limits) throws IOException, LDAPException {
        LdapDirectory directory = new LdapDirectory(keyserver, certificates, new DN(base), transport == Transport.LDAP, new CertsOnlyBundles(),
                null);
        LDAPListenerConfig config = transport == Transport.LDAP
                ? new LDAPListenerConfig(port, new StartTLSRequestHandler(tls.getSocketFactory(), directory)) : new LDAPListenerConfig(port, directory);
        config.setServerSocketFactory(new LdapSockets(limits, transport == Transport.LDAP ? Optional.empty() : Optional.of(tls.getSocketFactory())));
        return listen(config, address);
    }

    /**
     * The largest LDAP request taken; a larger one closes the connection. gpg's, gpgsm's and address books' searches
     * take some hundreds of bytes. It also bounds how deep a filter can nest (about 1,000 in 4 KiB): UnboundID decodes
     * filters recursively before any handler sees them, and overflowed the stack of a connection's reader at some
     * 1,500 to 2,000 levels, leaving the connection open with nobody reading it.
     */
    public static final int MAX_REQUEST_BYTES = 4 * 1024;

    private static LDAPListener listen(LDAPListenerConfig config, InetAddress address) throws IOException {
        config.setListenAddress(address);
        config.setMaxConnections(1024);
        // UnboundID allocates what a request's length says before reading it (20 MiB by default); gpg's and gpgsm's searches are far below this.
        config.setMaxMessageSizeBytes(MAX_REQUEST_BYTES);
        LDAPListener listener = new LDAPListener(config);
        listener.startListening();
        return listener;
    }

    @Override
    public LDAPListenerRequestHandler newInstance(LDAPListenerClientConnection client) throws LDAPException {
        return new LdapDirectory(keyserver, certificates, base, offersStartTls, bundles, client);
    }

    @Override
    public LDAPMessage processBindRequest(int messageID, BindRequestProtocolOp request, List<Control> controls) {
        boolean anonymous = request.getCredentialsType() == BindRequestProtocolOp.CRED_TYPE_SIMPLE && request.getBindDN().isEmpty()
                && (request.getSimplePassword() == null || request.getSimplePassword().getValueLength() == 0);
        return new LDAPMessage(messageID, new BindResponseProtocolOp(anonymous ? ResultCode.SUCCESS_INT_VALUE : ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null,
                anonymous ? null : "this directory is read-only and takes anonymous binds only", null, null));
    }

    @Override
    public LDAPMessage processSearchRequest(int messageID, SearchRequestProtocolOp request, List<Control> controls) {
        // RFC 4511 4.1.11: a critical control the server does not implement fails the operation; non-critical ones are ignored.
        Optional<Control> critical = controls.stream().filter(Control::isCritical).findFirst();
        if (critical.isPresent()) {
            return done(messageID, ResultCode.UNAVAILABLE_CRITICAL_EXTENSION, "control " + critical.get().getOID() + " is not supported by this directory");
        }
        if (depth(request.getFilter()) > MAX_FILTER_DEPTH) {
            return done(messageID, ResultCode.UNWILLING_TO_PERFORM, "the filter is nested more than " + MAX_FILTER_DEPTH + " deep");
        }
        try {
            DN searchBase = new DN(request.getBaseDN());
            Filter filter = request.getFilter();
            List<Entry> candidates;
            if (searchBase.isNullDN() && request.getScope() == SearchScope.BASE) {
                candidates = List.of(rootDse());
            } else if (!searchBase.isNullDN() && !searchBase.equals(base) && !searchBase.isDescendantOf(base, false) && !base.isDescendantOf(searchBase, false)) {
                return done(messageID, ResultCode.NO_SUCH_OBJECT, "this directory holds " + base + " only");
            } else {
                candidates = new ArrayList<>(List.of(serverInfoEntry()));
                Optional<List<Entry>> keys = keyEntries(filter);
                if (keys.isPresent()) {
                    candidates.addAll(keys.get());
                } else if (!filter.matchesEntry(serverInfoEntry())) {
                    return done(messageID, ResultCode.UNWILLING_TO_PERFORM, "name a key ID, fingerprint or mail address in the filter; this directory is not listed whole");
                }
            }
            return sendAll(messageID, request, candidates.stream().filter(e -> inScope(e, searchBase, request.getScope())).toList());
        } catch (LDAPException e) {
            return done(messageID, e.getResultCode(), e.getMessage());
        } catch (LetterlockException e) {
            return done(messageID, ResultCode.UNWILLING_TO_PERFORM, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "LDAP search failed", e);
            return done(messageID, ResultCode.OTHER, "internal error; the server log has it");
        }
    }

    /** How deep {@code filter} nests, found without recursion: a request of 64 KiB can nest some 15,000 deep. */
    private static int depth(Filter filter) {
        int deepest = 0;
        java.util.ArrayDeque<Map.Entry<Filter, Integer>> open = new java.util.ArrayDeque<>();
        open.push(Map.entry(filter, 1));
        while (!open.isEmpty()) {
            Map.Entry<Filter, Integer> next = open.pop();
            int depth = next.getValue();
            deepest = Math.max(deepest, depth);
            if (deepest > MAX_FILTER_DEPTH) {
                return deepest;
            }
            Filter current = next.getKey();
            if (current.getNOTComponent() != null) {
                open.push(Map.entry(current.getNOTComponent(), depth + 1));
            }
            for (Filter component : current.getComponents()) {
                open.push(Map.entry(component, depth + 1));
            }
        }
        return deepest;
    }

    private LDAPMessage sendAll(int messageID, SearchRequestProtocolOp request, List<Entry> entries) throws LDAPException {
        int sent = 0;
        for (Entry entry : entries) {
            if (request.getFilter().matchesEntry(entry)) {
                // Exceeded only when one more entry matches than the client allowed (searchForEntry allows exactly 1).
                if (request.getSizeLimit() > 0 && sent >= request.getSizeLimit()) {
                    return done(messageID, ResultCode.SIZE_LIMIT_EXCEEDED, null);
                }
                connection.sendSearchResultEntry(messageID, only(entry, request.getAttributes()));
                sent++;
            }
        }
        return done(messageID, ResultCode.SUCCESS, null);
    }

    private static boolean inScope(Entry entry, DN searchBase, SearchScope scope) {
        try {
            DN dn = entry.getParsedDN();
            if (scope == SearchScope.BASE) {
                return dn.equals(searchBase);
            }
            if (scope == SearchScope.ONE) {
                return searchBase.equals(dn.getParent());
            }
            return searchBase.isNullDN() || dn.isDescendantOf(searchBase, true);
        } catch (LDAPException e) {
            return false;
        }
    }

    /** The requested attributes only: none for "1.1", all for none named or "*"; names compared without options and case. */
    private static Entry only(Entry entry, List<String> wanted) {
        if (wanted.isEmpty() || wanted.contains("*")) {
            return entry;
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        wanted.forEach(w -> {
            int options = w.indexOf(';');
            names.add((options < 0 ? w : w.substring(0, options)).toLowerCase(Locale.ROOT));
        });
        Entry reduced = new Entry(entry.getDN());
        for (Attribute attribute : entry.getAttributes()) {
            if (names.contains(attribute.getBaseName().toLowerCase(Locale.ROOT))) {
                reduced.addAttribute(attribute);
            }
        }
        return reduced;
    }

    private Entry rootDse() {
        Entry entry = new Entry("");
        entry.addAttribute("objectClass", "top");
        entry.addAttribute("namingContexts", base.toString());
        entry.addAttribute("supportedLDAPVersion", "3");
        entry.addAttribute("vendorName", "Letterlock");
        if (offersStartTls) {
            entry.addAttribute("supportedExtension", StartTLSExtendedRequest.STARTTLS_REQUEST_OID);
        }
        return entry;
    }

    private Entry serverInfoEntry() {
        Entry entry = new Entry(serverInfo);
        entry.addAttribute("objectClass", "top", "pgpServerInfo");
        entry.addAttribute("cn", "PGPServerInfo");
        entry.addAttribute("pgpBaseKeySpaceDN", keySpace.toString());
        // dirmngr reads fingerprints (gpgFingerprint) only from a server that says it has GnuPG's version-2 schema.
        entry.addAttribute("pgpSoftware", "GnuPG");
        entry.addAttribute("pgpVersion", "2");
        return entry;
    }

    /** The keys the filter's assertions name; empty when it names none (a whole-directory listing, which is refused). */
    private Optional<List<Entry>> keyEntries(Filter filter) {
        Found found = new Found();
        boolean named = collect(filter, found);
        if (!named) {
            return Optional.empty();
        }
        List<Entry> entries = new ArrayList<>();
        for (StoredKey key : found.keys.values()) {
            entries.add(keyEntry(key));
        }
        found.people.forEach((address, issued) -> entries.add(personEntry(address, issued)));
        return Optional.of(entries);
    }

    /** What the filter's assertions named: OpenPGP keys, and mailboxes with S/MIME certificates. */
    private static final class Found {
        final Map<String, StoredKey> keys = new LinkedHashMap<>();
        final Map<String, List<IssuedCertificate>> people = new LinkedHashMap<>();
        int lookups;
    }

    private boolean collect(Filter filter, Found found) {
        switch (filter.getFilterType()) {
            case Filter.FILTER_TYPE_AND, Filter.FILTER_TYPE_OR -> {
                boolean named = false;
                for (Filter component : filter.getComponents()) {
                    named |= collect(component, found);
                }
                return named;
            }
            case Filter.FILTER_TYPE_NOT -> {
                return false;
            }
            case Filter.FILTER_TYPE_EQUALITY -> {
                return lookup(filter.getAttributeName(), filter.getAssertionValue(), found);
            }
            case Filter.FILTER_TYPE_SUBSTRING -> {
                String middle = (filter.getSubInitialString() == null ? "" : filter.getSubInitialString()) + String.join("", filter.getSubAnyStrings())
                        + (filter.getSubFinalString() == null ? "" : filter.getSubFinalString());
                return lookup(filter.getAttributeName(), middle, found);
            }
            default -> {
                return false;
            }
        }
    }

    private boolean lookup(String attribute, String value, Found found) {
        String name = attribute.toLowerCase(Locale.ROOT);
        if (!KEY_ATTRIBUTES.contains(name) || value == null || value.isBlank()) {
            return false;
        }
        if (++found.lookups > MAX_LOOKUPS) {
            throw new LetterlockException(org.letterlock.platform.error.ErrorType.BAD_REQUEST, "a filter may name at most " + MAX_LOOKUPS
                    + " keys or addresses");
        }
        List<StoredKey> keys;
        if (name.equals("pgpcertid") || name.equals("pgpkeyid") || name.equals("pgpsubkeyid") || name.equals("gpgfingerprint") || name.equals("gpgsubfingerprint")) {
            String hex = value.trim().toUpperCase(Locale.ROOT);
            keys = hex.matches("[0-9A-F]{8}") ? List.of() : keyserver.get().byId(hex);
        } else {
            Optional<String> address = OpenPgpKeys.address(value);
            // OpenPGP key entries carry no mail attribute: (mail=...) finds mailboxes only.
            keys = address.isPresent() && !name.equals("mail") ? keyserver.get().byAddress(address.get()) : List.of();
            if (address.isPresent() && name.equals("mail")) {
                List<IssuedCertificate> issued = certificates.get().publishedFor(address.get());
                if (!issued.isEmpty()) {
                    found.people.putIfAbsent(address.get(), issued);
                }
            }
        }
        keys.forEach(k -> found.keys.putIfAbsent(k.fingerprint(), k));
        return true;
    }

    /**
     * A mailbox with its S/MIME certificates, as gpgsm, Thunderbird and Outlook look them up by {@code (mail=...)}:
     * {@code userCertificate;binary} (each certificate) and {@code userSMIMECertificate;binary} (all of them as a
     * certs-only PKCS#7, which Outlook reads first).
     */
    private Entry personEntry(String address, List<IssuedCertificate> issued) {
        Entry entry = new Entry(new DN(new RDN("mail", address), people));
        entry.addAttribute("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson");
        entry.addAttribute("cn", address);
        entry.addAttribute("sn", address);
        entry.addAttribute("mail", address);
        entry.addAttribute(new Attribute("userCertificate;binary", issued.stream().map(IssuedCertificate::der).toArray(byte[][]::new)));
        bundles.of(address, issued).ifPresent(bundle -> entry.addAttribute(new Attribute("userSMIMECertificate;binary", bundle)));
        return entry;
    }

    private Entry keyEntry(StoredKey key) {
        Entry entry = new Entry(new DN(new RDN("pgpCertID", key.keyId()), keySpace));
        entry.addAttribute("objectClass", "top", "pgpKeyInfo");
        entry.addAttribute("pgpCertID", key.keyId());
        entry.addAttribute("pgpKeyID", key.keyId().substring(8));
        entry.addAttribute("gpgFingerprint", key.fingerprint());
        if (!key.subkeys().isEmpty()) {
            entry.addAttribute("gpgSubFingerprint", key.subkeys().stream().map(StoredKey.Subkey::fingerprint).toArray(String[]::new));
            entry.addAttribute("pgpSubKeyID", key.subkeys().stream().map(StoredKey.Subkey::keyId).toArray(String[]::new));
        }
        List<String> userIds = key.publishedUserIds().stream().map(StoredKey.UserId::text).toList();
        if (!userIds.isEmpty()) {
            entry.addAttribute("pgpUserID", userIds.toArray(String[]::new));
            entry.addAttribute("gpgMailbox", key.publishedUserIds().stream().flatMap(u -> u.address().stream()).distinct().toArray(String[]::new));
        }
        entry.addAttribute("pgpRevoked", key.revoked() ? "1" : "0");
        entry.addAttribute("pgpDisabled", "0");
        entry.addAttribute("pgpKeyCreateTime", GENERALIZED.format(key.keyCreatedAt()));
        key.expiresAt().ifPresent(e -> entry.addAttribute("pgpKeyExpireTime", GENERALIZED.format(e)));
        entry.addAttribute("pgpKeySize", String.format(Locale.ROOT, "%05d", key.bits()));
        String armored = OpenPgpKeys.armored(List.of(key.publishedKey()));
        entry.addAttribute("pgpKey", armored);
        entry.addAttribute("pgpKeyV2", armored);
        return entry;
    }

    private static LDAPMessage done(int messageID, ResultCode code, String message) {
        return new LDAPMessage(messageID, new SearchResultDoneProtocolOp(code.intValue(), null, message, null));
    }

    @Override
    public LDAPMessage processAddRequest(int messageID, AddRequestProtocolOp request, List<Control> controls) {
        return new LDAPMessage(messageID, new com.unboundid.ldap.protocol.AddResponseProtocolOp(ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null, "this directory is read-only", null));
    }

    @Override
    public LDAPMessage processCompareRequest(int messageID, CompareRequestProtocolOp request, List<Control> controls) {
        return new LDAPMessage(messageID, new com.unboundid.ldap.protocol.CompareResponseProtocolOp(ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null,
                "compare is not offered; search instead", null));
    }

    @Override
    public LDAPMessage processDeleteRequest(int messageID, DeleteRequestProtocolOp request, List<Control> controls) {
        return new LDAPMessage(messageID, new com.unboundid.ldap.protocol.DeleteResponseProtocolOp(ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null, "this directory is read-only", null));
    }

    @Override
    public LDAPMessage processExtendedRequest(int messageID, ExtendedRequestProtocolOp request, List<Control> controls) {
        return new LDAPMessage(messageID, new ExtendedResponseProtocolOp(ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null, "no extended operation here but StartTLS, on the plain LDAP port",
                null, null, null));
    }

    @Override
    public LDAPMessage processModifyRequest(int messageID, ModifyRequestProtocolOp request, List<Control> controls) {
        return new LDAPMessage(messageID, new com.unboundid.ldap.protocol.ModifyResponseProtocolOp(ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null, "this directory is read-only", null));
    }

    @Override
    public LDAPMessage processModifyDNRequest(int messageID, ModifyDNRequestProtocolOp request, List<Control> controls) {
        return new LDAPMessage(messageID, new com.unboundid.ldap.protocol.ModifyDNResponseProtocolOp(ResultCode.UNWILLING_TO_PERFORM_INT_VALUE, null, "this directory is read-only", null));
    }
}
