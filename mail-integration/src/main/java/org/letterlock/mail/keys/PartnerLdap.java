package org.letterlock.mail.keys;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.NameResolver;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * S/MIME certificates from partner organisations' LDAP directories, one directory per partner mail domain: a
 * subtree search for {@code (mail=<address>)} under the partner's base DN, reading {@code userCertificate} (one
 * certificate per value) and {@code userSMIMECertificate} (a certs-only PKCS#7 per value, as Outlook publishes it; a
 * bare certificate is read too), each with or without {@code ;binary}. Always over TLS with the injected SSLContext:
 * {@code ldaps://} from the first byte, {@code ldap://} only after StartTLS succeeds; the server's certificate must
 * name the URL's host. Anonymous bind. The address is sent as the filter's assertion value, BER-encoded as such, never
 * spliced into filter text, so {@code *}, {@code (}, {@code )} and {@code \} in it are matched literally (RFC 4515
 * writes them {@code \2a}, {@code \28}, {@code \29}, {@code \5c}, as the lookup's location shows).
 */
public final class PartnerLdap implements KeySource {
    private static final String[] ATTRIBUTES = {"userCertificate", "userCertificate;binary", "userSMIMECertificate", "userSMIMECertificate;binary"};
    /** One address should be one entry; a handful covers aliases, more is a directory answering something else. */
    private static final int MAX_ENTRIES = 10;

    /**
     * One partner's directory.
     *
     * @param domain the partner's mail domain (lower case), whose recipients are looked up here
     * @param url    {@code ldaps://host[:port]} or {@code ldap://host[:port]} (StartTLS)
     * @param baseDn where the search starts
     */
    public record Directory(String domain, URI url, String baseDn) {

        /** @throws LetterlockException BAD_REQUEST naming what is wrong */
        public Directory {
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if ((!scheme.equals("ldap") && !scheme.equals("ldaps")) || url.getHost() == null) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "partner directory " + url + " must be ldaps://host[:port] or ldap://host[:port] (StartTLS)");
            }
            if (!DN.isValidDN(baseDn)) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "partner base DN '" + baseDn + "' is not a DN");
            }
            domain = domain.toLowerCase(Locale.ROOT);
        }

        boolean ldaps() {
            return url.getScheme().equalsIgnoreCase("ldaps");
        }

        int port() {
            return url.getPort() >= 0 ? url.getPort() : ldaps() ? 636 : 389;
        }
    }

    private final Map<String, Directory> byDomain;
    private final SSLContext tls;
    private final PeerAddresses addresses;
    private final PeerLimits limits;
    private final PartnerCertificateCheck check;
    private final Clock clock;

    public PartnerLdap(List<Directory> directories, SSLContext tls, PeerAddresses addresses, PeerLimits limits, PartnerCertificateCheck check, Clock clock) {
        this.byDomain = directories.stream().collect(Collectors.toUnmodifiableMap(Directory::domain, Function.identity()));
        this.tls = tls;
        this.addresses = addresses;
        this.limits = limits;
        this.check = check;
        this.clock = clock;
    }

    @Override
    public Source source() {
        return Source.PARTNER_LDAP;
    }

    @Override
    public boolean covers(String address) {
        return byDomain.containsKey(domain(address));
    }

    private static String domain(String address) {
        return address.substring(address.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    }

    /** @param address as it is to be matched; a partner is chosen by what follows its last {@code @} */
    @Override
    public Lookup lookup(String address) {
        Directory directory = byDomain.get(domain(address));
        if (directory == null) {
            return Lookup.noKey(source(), "", clock.instant(), domain(address) + " is not a partner domain");
        }
        Filter filter = Filter.createEqualityFilter("mail", address);
        String location = location(directory, filter);
        List<SearchResultEntry> entries;
        try (LDAPConnection connection = connect(directory)) {
            entries = search(connection, directory, filter);
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                return Lookup.noKey(source(), location, clock.instant(), "the directory has no " + directory.baseDn());
            }
            return Lookup.temporaryFailure(source(), location, clock.instant(), e.getResultCode() + ": " + e.getMessage());
        } catch (UnknownHostException e) {
            return Lookup.temporaryFailure(source(), location, clock.instant(), "no address for " + directory.url().getHost());
        }
        if (entries.isEmpty()) {
            return Lookup.noKey(source(), location, clock.instant(), "no entry for " + filter + " under " + directory.baseDn());
        }
        List<X509Certificate> certificates = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (SearchResultEntry entry : entries) {
            for (Attribute attribute : entry.getAttributes()) {
                boolean single = attribute.getBaseName().equalsIgnoreCase("userCertificate");
                if (!single && !attribute.getBaseName().equalsIgnoreCase("userSMIMECertificate")) {
                    continue;
                }
                for (byte[] value : attribute.getValueByteArrays()) {
                    try {
                        certificates.addAll(single ? List.of(certificate(value)) : bundle(value));
                    } catch (CertificateException | CMSException e) {
                        unreadable.add(attribute.getName() + " of " + entry.getDN() + " does not parse");
                    }
                }
            }
        }
        PartnerCertificateCheck.Checked checked = check.check(address, certificates);
        List<String> notes = new ArrayList<>(unreadable);
        notes.addAll(checked.refusals());
        notes.addAll(checked.undetermined());
        String detail = String.join("; ", notes);
        if (!checked.accepted().isEmpty()) {
            String found = checked.accepted().size() + (checked.accepted().size() == 1 ? " certificate" : " certificates");
            return Lookup.found(source(), location, clock.instant(), checked.accepted(), List.of(), detail.isEmpty() ? found : found + "; " + detail);
        }
        if (!checked.undetermined().isEmpty()) {
            return Lookup.temporaryFailure(source(), location, clock.instant(), detail);
        }
        return Lookup.noKey(source(), location, clock.instant(), entries.size() + (entries.size() == 1 ? " entry" : " entries") + ", no usable certificate"
                + (detail.isEmpty() ? "" : ": " + detail));
    }

    private static String location(Directory directory, Filter filter) {
        try {
            return new LDAPURL(directory.url().getScheme().toLowerCase(Locale.ROOT), directory.url().getHost(), directory.port(), new DN(directory.baseDn()),
                    ATTRIBUTES, SearchScope.SUB, filter).toString();
        } catch (LDAPException e) {
            throw new IllegalStateException("a checked partner directory makes no LDAP URL", e);
        }
    }

    /** Connected, over TLS whose certificate names the host; the caller closes it. */
    private LDAPConnection connect(Directory directory) throws LDAPException, UnknownHostException {
        String host = directory.url().getHost();
        List<InetSocketAddress> targets = addresses.resolve(host, directory.port());
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis((int) limits.connectTimeout().toMillis());
        options.setResponseTimeoutMillis(limits.answerTimeout().toMillis());
        options.setMaxMessageSize(limits.maxAnswerBytes());
        options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(false));
        options.setNameResolver(new ResolvedAs(targets));
        LDAPConnection connection = directory.ldaps() ? new LDAPConnection(tls.getSocketFactory(), options) : new LDAPConnection(options);
        try {
            connection.connect(host, targets.get(0).getPort());
            if (!directory.ldaps()) {
                ExtendedResult started = connection.processExtendedOperation(new StartTLSExtendedRequest(tls));
                if (started.getResultCode() != ResultCode.SUCCESS) {
                    throw new LDAPException(started.getResultCode(), "StartTLS refused: " + started.getDiagnosticMessage());
                }
            }
            return connection;
        } catch (LDAPException e) {
            connection.close();
            throw e;
        }
    }

    private List<SearchResultEntry> search(LDAPConnection connection, Directory directory, Filter filter) throws LDAPException {
        SearchRequest request = new SearchRequest(directory.baseDn(), SearchScope.SUB, filter, ATTRIBUTES);
        request.setSizeLimit(MAX_ENTRIES);
        request.setTimeLimitSeconds((int) Math.max(1, limits.answerTimeout().toSeconds()));
        SearchResult result;
        try {
            result = connection.search(request);
        } catch (LDAPSearchException e) {
            if (e.getResultCode() != ResultCode.SIZE_LIMIT_EXCEEDED) {
                throw e;
            }
            result = e.getSearchResult();
        }
        return result.getSearchEntries();
    }

    private static X509Certificate certificate(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /** A certs-only PKCS#7 (RFC 2798's userSMIMECertificate), or a bare certificate where a directory put one. */
    private static List<X509Certificate> bundle(byte[] value) throws CertificateException, CMSException {
        if (!isContentInfo(value)) {
            return List.of(certificate(value));
        }
        List<X509Certificate> certificates = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (X509CertificateHolder holder : new CMSSignedData(value).getCertificates().getMatches(null)) {
            certificates.add(converter.getCertificate(holder));
        }
        return certificates;
    }

    /** A CMS ContentInfo starts with its content type's OID; a certificate with its to-be-signed SEQUENCE. */
    private static boolean isContentInfo(byte[] value) {
        try {
            return ASN1Primitive.fromByteArray(value) instanceof ASN1Sequence sequence && sequence.size() > 0
                    && sequence.getObjectAt(0) instanceof ASN1ObjectIdentifier;
        } catch (IOException e) {
            return false;
        }
    }

    /** The addresses {@link PeerAddresses} gave for the one host this connection dials. */
    private static final class ResolvedAs extends NameResolver {
        private final InetAddress[] addresses;

        ResolvedAs(List<InetSocketAddress> targets) {
            this.addresses = targets.stream().map(InetSocketAddress::getAddress).toArray(InetAddress[]::new);
        }

        @Override
        public InetAddress getByName(String host) {
            return addresses[0];
        }

        @Override
        public InetAddress[] getAllByName(String host) {
            return addresses.clone();
        }

        @Override
        public void toString(StringBuilder buffer) {
            buffer.append("ResolvedAs(").append(addresses[0]).append(')');
        }
    }
}
