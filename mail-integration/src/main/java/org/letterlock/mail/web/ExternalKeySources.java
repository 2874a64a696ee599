package org.letterlock.mail.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.letterlock.mail.keys.ExternalKeys;
import org.letterlock.mail.keys.HkpClient;
import org.letterlock.mail.keys.KeySource;
import org.letterlock.mail.keys.LookupCache;
import org.letterlock.mail.keys.PartnerCertificateCheck;
import org.letterlock.mail.keys.PartnerLdap;
import org.letterlock.mail.keys.PeerAddresses;
import org.letterlock.mail.keys.PeerHttp;
import org.letterlock.mail.keys.PeerLimits;
import org.letterlock.mail.keys.WkdClient;
import org.letterlock.platform.config.GatewaySettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** The external key sources the configuration names: partner directories (with their CAs), WKD, HKP keyservers. */
final class ExternalKeySources {
    private ExternalKeySources() {
    }

    /** @param tls trusts the JDK's CAs (and Letterlock's): what WKD hosts, keyservers and partner directories are checked against */
    static ExternalKeys from(GatewaySettings settings, SSLContext tls, Clock clock) {
        PeerHttp http = new PeerHttp(tls, PeerAddresses.system(), PeerLimits.DEFAULT);
        List<KeySource> sources = new ArrayList<>();
        if (!settings.partnerDirectories().isEmpty()) {
            List<PartnerLdap.Directory> directories = settings.partnerDirectories().stream().map(ExternalKeySources::directory).toList();
            PartnerCertificateCheck check = new PartnerCertificateCheck(partnerCas(settings), List.of(), http, clock);
            sources.add(new PartnerLdap(directories, tls, PeerAddresses.system(), PeerLimits.DEFAULT, check, clock));
        }
        sources.add(new WkdClient(http, clock));
        if (!settings.hkpServers().isEmpty()) {
            sources.add(new HkpClient(http, settings.hkpServers(), clock));
        }
        return new ExternalKeys(sources, new LookupCache(LookupCache.Lifetimes.DEFAULT), clock);
    }

    /** {@code domain=ldaps://host:port/base-dn}, as the configuration checked it. */
    static PartnerLdap.Directory directory(String entry) {
        int equals = entry.indexOf('=');
        URI url = URI.create(entry.substring(equals + 1).trim());
        String baseDn = url.getPath().substring(1);
        return new PartnerLdap.Directory(entry.substring(0, equals).trim(), URI.create(url.getScheme() + "://" + url.getRawAuthority()), baseDn);
    }

    /** The partner CA certificates of letterlock.gateway.partner-cas, none when it is not set. */
    static List<X509Certificate> partnerCas(GatewaySettings settings) {
        if (settings.partnerCas().isEmpty()) {
            return List.of();
        }
        try (InputStream in = Files.newInputStream(settings.partnerCas().orElseThrow())) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
            return certificates;
        } catch (IOException | CertificateException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "letterlock.gateway.partner-cas (" + settings.partnerCas().orElseThrow() + ") is not a readable PEM file of "
                    + "certificates: " + e.getMessage());
        }
    }
}
