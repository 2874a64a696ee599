package org.letterlock.ca.web;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.interceptor.Interceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.annotation.RegistryScope;
import org.letterlock.ca.CertificateAuthority;
import org.letterlock.ca.TlsIdentity;
import org.letterlock.ca.store.JdbcCertificateStore;
import org.letterlock.platform.config.CaSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.web.PlatformRuntime;
import org.letterlock.platform.web.PlatformStarted;
import org.letterlock.vault.VaultException;

/** Starts the CA on the started platform; a CA that cannot start stops the server with one message. */
@ApplicationScoped
public class CaRuntime {
    public static final int ORDER = Interceptor.Priority.APPLICATION + 100;
    private static final Logger LOG = Logger.getLogger(CaRuntime.class.getName());

    @Inject
    PlatformRuntime platformRuntime;

    @Inject
    @RegistryScope(scope = MetricRegistry.APPLICATION_SCOPE)
    MetricRegistry metrics;

    private volatile CertificateAuthority ca;
    private volatile TlsIdentity tlsIdentity;
    private volatile OcspListener ocspListener;

    /** Before the modules built on the CA (escrow): observers of one event run in priority order. */
    void onPlatformStarted(@Observes @Priority(ORDER) PlatformStarted event) {
        try {
            CertificateAuthority started = CertificateAuthority.start(event.platform(), new JdbcCertificateStore(event.platform().database().dataSource()));
            ca = started;
            metrics.gauge("letterlock_ocsp_cached_responses", started.ocsp(), ocsp -> ocsp.cachedCount());
            LOG.info("CA started: issuers " + started.issuers().stream().map(i -> i.id() + " (" + i.state().name().toLowerCase() + ")").toList());
            tlsIdentity = TlsIdentity.start(started, event.platform().vault(), event.platform().config().vault().tokenLabel(),
                    event.platform().config().tlsHostNames(), event.platform().clock());
            CaSettings settings = event.platform().config().ca();
            if (settings.ocspPort() > 0) {
                try {
                    ocspListener = OcspListener.start(new InetSocketAddress(settings.ocspAddress(), settings.ocspPort()), started::ocsp,
                            settings.ocspSignOnNetworkThreads());
                } catch (IOException e) {
                    throw new LetterlockException(ErrorType.UNAVAILABLE, "the OCSP listener cannot listen on " + settings.ocspAddress() + ":" + settings.ocspPort()
                            + " (letterlock.ca.ocsp.port): " + e.getMessage());
                }
                LOG.info("OCSP listener on " + ocspListener.address());
            }
        } catch (VaultException | LetterlockException e) {
            platformRuntime.fail("certificate authority: " + e.getMessage(), null);
        } catch (RuntimeException e) {
            platformRuntime.fail("certificate authority: unexpected start-up failure: " + e, e);
        }
    }

    /** The running CA; a 503 problem while it is not started. */
    public CertificateAuthority ca() {
        CertificateAuthority running = ca;
        if (running == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the certificate authority is not started");
        }
        return running;
    }

    /** The TLS identity of Letterlock's own listeners; a 503 problem while the CA is not started. */
    public TlsIdentity tlsIdentity() {
        TlsIdentity running = tlsIdentity;
        if (running == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the TLS identity of Letterlock's listeners is not started");
        }
        return running;
    }

    @PreDestroy
    void stop() {
        TlsIdentity identity = tlsIdentity;
        tlsIdentity = null;
        if (identity != null) {
            identity.close();
        }
        OcspListener listener = ocspListener;
        ocspListener = null;
        if (listener != null) {
            listener.close();
        }
        CertificateAuthority running = ca;
        ca = null;
        if (running != null) {
            running.close();
        }
    }
}
