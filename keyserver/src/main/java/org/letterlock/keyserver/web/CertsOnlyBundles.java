package org.letterlock.keyserver.web;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.util.CollectionStore;
import org.letterlock.ca.IssuedCertificate;

/**
 * Each mailbox's certificates as one certs-only PKCS#7 ({@code userSMIMECertificate}), made again only when the
 * mailbox's set of valid certificates changed: encoding it on every search took a third of a directory lookup.
 */
final class CertsOnlyBundles {
    private static final Logger LOG = Logger.getLogger(CertsOnlyBundles.class.getName());
    /** Mailboxes kept; past that the map starts again (a bundle is cheap to make, memory is not free). */
    static final int MAX_MAILBOXES = 100_000;

    private record Bundle(List<BigInteger> serials, byte[] pkcs7) {
    }

    private final ConcurrentHashMap<String, Bundle> bundles = new ConcurrentHashMap<>();

    Optional<byte[]> of(String address, List<IssuedCertificate> issued) {
        List<BigInteger> serials = issued.stream().map(IssuedCertificate::serial).toList();
        Bundle cached = bundles.get(address);
        if (cached != null && cached.serials().equals(serials)) {
            return Optional.of(cached.pkcs7());
        }
        try {
            CMSSignedDataGenerator certsOnly = new CMSSignedDataGenerator();
            certsOnly.addCertificates(new CollectionStore<>(issued.stream().map(IssuedCertificate::holder).toList()));
            byte[] pkcs7 = certsOnly.generate(new CMSAbsentContent()).getEncoded();
            if (bundles.size() >= MAX_MAILBOXES) {
                bundles.clear();
            }
            bundles.put(address, new Bundle(serials, pkcs7));
            return Optional.of(pkcs7);
        } catch (CMSException | IOException e) {
            LOG.log(Level.WARNING, "cannot build userSMIMECertificate for " + address, e);
            return Optional.empty();
        }
    }
}
