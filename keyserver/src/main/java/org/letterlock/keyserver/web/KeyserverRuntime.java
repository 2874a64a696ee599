package org.letterlock.keyserver.web;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import com.unboundid.ldap.listener.LDAPListener;
import com.unboundid.ldap.sdk.LDAPException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.letterlock.keyserver.KeyLimits;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.store.JdbcKeyserverStore;
import org.letterlock.platform.config.KeyserverSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.web.PlatformRuntime;
import org.letterlock.platform.web.PlatformStarted;

/** Starts the keyserver and its HKP, LDAP and LDAPS listeners on the started platform; a listener that cannot bind stops the server with one message. */
@ApplicationScoped
public class KeyserverRuntime {
    private static final Logger LOG = Logger.getLogger(KeyserverRuntime.class.getName());

    /** Who acts in the records of an HKP or VKS request: its client, by address (no one signs in to publish a key). */
    static String clientActor(String address) {
        return "keyserver-client " + address;
    }

    @Inject
    PlatformRuntime platformRuntime;

    @Inject
    org.letterlock.ca.web.CaRuntime caRuntime;

    private volatile Keyserver keyserver;
    private volatile HkpProtocol hkp;
    private volatile HkpListener listener;
    private volatile LDAPListener ldap;
    private volatile LDAPListener ldaps;
    private volatile java.util.concurrent.ScheduledExecutorService follower;

    void onPlatformStarted(@Observes PlatformStarted event) {
        Letterlock platform = event.platform();
        KeyserverSettings settings = platform.config().keyserver();
        Keyserver started = create(platform);
        keyserver = started;
        follower = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "keyserver-follower");
            thread.setDaemon(true);
            return thread;
        });
        follower.scheduleWithFixedDelay(() -> {
            try {
                started.followChanges();
            } catch (RuntimeException e) {
                LOG.log(java.util.logging.Level.WARNING, "keyserver: cannot read which keys other nodes changed; trying again", e);
            }
        }, Keyserver.FOLLOW_SECONDS, Keyserver.FOLLOW_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        hkp = new HkpProtocol(started);
        if (settings.hkpPort() > 0) {
            try {
                listener = HkpListener.start(new InetSocketAddress(settings.hkpAddress(), settings.hkpPort()), this::hkp);
                LOG.info("HKP listener on " + listener.address());
            } catch (IOException e) {
                platformRuntime.fail("keyserver: the HKP listener cannot listen on " + settings.hkpAddress() + ":" + settings.hkpPort()
                        + " (letterlock.keyserver.hkp.port; 0 turns it off): " + e.getMessage(), null);
            }
        }
        if (settings.ldapPort() > 0 || settings.ldapsPort() > 0) {
            SSLContext tls = caRuntime.tlsIdentity().serverContext();
            if (settings.ldapPort() > 0) {
                ldap = startDirectory(LdapDirectory.Transport.LDAP, settings.ldapPort(), "letterlock.keyserver.ldap.*", settings, tls);
            }
            if (settings.ldapsPort() > 0) {
                ldaps = startDirectory(LdapDirectory.Transport.LDAPS, settings.ldapsPort(), "letterlock.keyserver.ldaps.port", settings, tls);
            }
        }
    }

    private LDAPListener startDirectory(LdapDirectory.Transport transport, int port, String keys, KeyserverSettings settings, SSLContext tls) {
        try {
            LDAPListener listener = LdapDirectory.start(transport, InetAddress.getByName(settings.ldapAddress()), port, settings.ldapBase(), tls, this::keyserver,
                    caRuntime::ca);
            LOG.info(transport + " directory on " + settings.ldapAddress() + ":" + listener.getListenPort() + " base " + settings.ldapBase()
                    + (transport == LdapDirectory.Transport.LDAP ? " (StartTLS)" : ""));
            return listener;
        } catch (IOException | LDAPException e) {
            platformRuntime.fail("keyserver: the " + transport + " listener cannot listen on " + settings.ldapAddress() + ":" + port
                    + " with base " + settings.ldapBase() + " (" + keys + "; port 0 turns it off): " + e.getMessage(), null);
            return null;
        }
    }

    /** The keyserver of a started platform, with its configured limits (the server's and the command line's). */
    public static Keyserver create(Letterlock platform) {
        KeyserverSettings settings = platform.config().keyserver();
        return new Keyserver(new JdbcKeyserverStore(platform.database().dataSource()), platform.mail(), platform.auditLog(), platform.clock(),
                platform.config().publicUrl(), new KeyLimits(settings.maxKeyBytes(), settings.maxUserIds(), settings.maxSubkeys(), settings.maxUserAttributes(),
                KeyLimits.DEFAULT.maxSelfSignatures()), platform.config().verificationTokenTtl());
    }

    public Keyserver keyserver() {
        Keyserver running = keyserver;
        if (running == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "the keyserver is not started");
        }
        return running;
    }

    /** The DANE zone fragment of {@code domain}: OPENPGPKEY records of published keys, SMIMEA records of the CA's certificates for verified mailboxes. */
    public String daneZone(String domain) {
        return keyserver().daneZone(domain, platformRuntime.platform().identities()::verifiedIn, caRuntime.ca());
    }

    public HkpProtocol hkp() {
        keyserver();
        return hkp;
    }

    @PreDestroy
    void stop() {
        java.util.concurrent.ScheduledExecutorService following = follower;
        follower = null;
        if (following != null) {
            following.shutdownNow();
        }
        HkpListener running = listener;
        listener = null;
        if (running != null) {
            running.close();
        }
        for (LDAPListener directory : new LDAPListener[] {ldap, ldaps}) {
            if (directory != null) {
                directory.shutDown(true);
            }
        }
        ldap = null;
        ldaps = null;
    }
}
