package org.letterlock.ca;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.letterlock.vault.KeySpec;
import org.letterlock.vault.KeyUri;
import org.letterlock.vault.KeyVault;
import org.letterlock.vault.KeyVaults;
import org.letterlock.vault.VaultSettings;

/**
 * An OCSP responder over a memory vault for tests of the responder and its HTTP adapters: one root that is its own
 * issuer, a delegated responder certificate, and one serial it knows (good); every other serial is unknown.
 */
public final class OcspFixture implements AutoCloseable {
    public static final BigInteger KNOWN = BigInteger.valueOf(1234);

    private final KeyVault vault;
    private final X509CertificateHolder root;
    private final IssuerRecord issuer;
    private final IssuedCertificate known;
    private final AtomicInteger lookups = new AtomicInteger();

    public OcspFixture() {
        vault = KeyVaults.open(VaultSettings.memory("letterlock"));
        KeyUri rootKey = KeyUri.of("letterlock", "root");
        root = new IssuerHierarchy(vault, Clock.systemUTC()).createRoot(rootKey, KeySpec.EC_P256, new X500Name("CN=OCSP Test Root"), Duration.ofDays(30));
        KeyUri responderKey = KeyUri.of("letterlock", "responder");
        SubjectPublicKeyInfo responderPublic = SubjectPublicKeyInfo.getInstance(vault.createKey(responderKey, KeySpec.EC_P256).getEncoded());
        Issuer signer = new Issuer(vault, rootKey, root, new IssuancePolicy(URI.create("http://x/crl"), URI.create("http://x/ocsp"), URI.create("http://x/ca"),
                List.of(IssuancePolicy.LETTERLOCK_POLICY), false), Clock.systemUTC());
        X509CertificateHolder responder = signer.issue(Profiles.OCSP_SIGNING, responderPublic, new X500Name("CN=Responder"), List.of(), Set.of(), Duration.ofDays(30));
        issuer = new IssuerRecord("root", IssuerRecord.Kind.ROOT, IssuerRecord.State.ACTIVE, Optional.of(rootKey), "CN=OCSP Test Root", Optional.of(root),
                Optional.empty(), Instant.now(), Optional.of(responderKey), Optional.of(responder));
        known = new IssuedCertificate(KNOWN, "root", "mailbox-signing", Optional.empty(), "CN=x", Instant.now(), Instant.now().plusSeconds(3600),
                new byte[0], Optional.empty(), "test", Instant.now(), Optional.empty());
    }

    /** A responder answering for the root, signing on at most {@code signingAtOnce} threads. */
    public OcspResponder responder(int signingAtOnce) {
        return responder(vault::signer, signingAtOnce);
    }

    /** A responder answering for the root whose signers come from {@code signers}, which may wrap {@link #vaultSigners()}. */
    public OcspResponder responder(Function<KeyUri, ContentSigner> signers, int signingAtOnce) {
        return responder(signers, signers, signingAtOnce);
    }

    /** A responder with its two signer sources, signing at most as many at once as a server's. */
    public OcspResponder responder(Function<KeyUri, ContentSigner> signers, Function<KeyUri, ContentSigner> signersWithoutWaiting) {
        return responder(signers, signersWithoutWaiting, OcspResponder.MAX_SIGNING_AT_ONCE);
    }

    /** As above, with the signers {@link OcspResponder#respondNow} signs with. */
    public OcspResponder responder(Function<KeyUri, ContentSigner> signers, Function<KeyUri, ContentSigner> signersWithoutWaiting, int signingAtOnce) {
        return responder(signers, signersWithoutWaiting, serial -> {
            lookups.incrementAndGet();
            return serial.equals(KNOWN) ? Optional.of(known) : Optional.empty();
        }, signingAtOnce);
    }

    /** A responder answering for the root whose store lookups go to {@code lookup}. */
    public OcspResponder responder(OcspResponder.StatusLookup lookup) {
        return responder(vault::signer, vault::signer, lookup, OcspResponder.MAX_SIGNING_AT_ONCE);
    }

    private OcspResponder responder(Function<KeyUri, ContentSigner> signers, Function<KeyUri, ContentSigner> signersWithoutWaiting,
                                    OcspResponder.StatusLookup lookup, int signingAtOnce) {
        OcspResponder responder = new OcspResponder(signers, signersWithoutWaiting, lookup, Duration.ofHours(1), Clock.systemUTC(), Runnable::run, signingAtOnce);
        responder.useIssuers(List.of(issuer));
        return responder;
    }

    public OcspResponder responder() {
        return responder(OcspResponder.MAX_SIGNING_AT_ONCE);
    }

    /** The fixture vault's signers, as {@link #responder(int)} signs with. */
    public Function<KeyUri, ContentSigner> vaultSigners() {
        return vault::signer;
    }

    /**
     * {@code real}, except that its signature fails with what {@code failure} gives, while that is not null. Like the
     * vault's signers that must not wait, it holds the content until it signs, and drops it when it fails.
     */
    public static ContentSigner failingWhile(ContentSigner real, Supplier<RuntimeException> failure) {
        ByteArrayOutputStream held = new ByteArrayOutputStream();
        return new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return real.getAlgorithmIdentifier();
            }

            @Override
            public OutputStream getOutputStream() {
                return held;
            }

            @Override
            public byte[] getSignature() {
                RuntimeException failed = failure.get();
                if (failed != null) {
                    held.reset();
                    throw failed;
                }
                try (OutputStream out = real.getOutputStream()) {
                    held.writeTo(out);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    held.reset();
                }
                return real.getSignature();
            }
        };
    }

    /** How often the responders asked the store for a serial's status. */
    public int lookups() {
        return lookups.get();
    }

    public IssuerRecord issuer() {
        return issuer;
    }

    public IssuedCertificate known() {
        return known;
    }

    public X509CertificateHolder root() {
        return root;
    }

    /** A DER request for one serial, without a nonce. */
    public byte[] plainRequest(BigInteger serial) {
        return request(serial, null);
    }

    /** A DER request for one serial with an RFC 8954 nonce. */
    public byte[] nonceRequest(BigInteger serial, byte[] nonce) {
        return request(serial, nonce);
    }

    private byte[] request(BigInteger serial, byte[] nonce) {
        try {
            OCSPReqBuilder builder = new OCSPReqBuilder().addRequest(OcspResponder.certificateId(root, serial));
            if (nonce != null) {
                builder.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(new DEROctetString(nonce)))));
            }
            return builder.build().getEncoded();
        } catch (OCSPException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        vault.close();
    }
}
