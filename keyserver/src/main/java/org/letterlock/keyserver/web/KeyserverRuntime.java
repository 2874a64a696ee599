package org.letterlock.keyserver.web;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.logging.Logger;
import org.letterlock.keyserver.KeyLimits;
import org.letterlock.keyserver.Keyserver;
import org.letterlock.keyserver.store.JdbcKeyserverStore;
import org.letterlock.platform.config.KeyserverSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.web.PlatformRuntime;
import org.letterlock.platform.web.PlatformStarted;

/** Starts the keyserver and its HKP listener on the started platform; a listener that cannot bind stops the server with one message. */
@ApplicationScoped
public class KeyserverRuntime {
    private static final Logger LOG = Logger.getLogger(KeyserverRuntime.class.getName());

    @Inject
    PlatformRuntime platformRuntime;

    @Inject
    org.letterlock.ca.web.CaRuntime caRuntime;

    private volatile Keyserver keyserver;
    private volatile HkpProtocol hkp;
    private volatile HkpListener listener;
    private volatile com.unboundid.ldap.listener.LDAPListener ldap;

    void onPlatformStarted(@Observes PlatformStarted event) {
        Letterlock platform = event.platform();
        KeyserverSettings settings = platform.config().keyserver();
        Keyserver started = create(platform);
        keyserver = started;
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
        if (settings.ldapPort() > 0) {
            try {
                ldap = LdapDirectory.start(java.net.InetAddress.getByName(settings.ldapAddress()), settings.ldapPort(), settings.ldapBase(), this::keyserver,
                        caRuntime::ca);
                LOG.info("LDAP directory on " + settings.ldapAddress() + ":" + ldap.getListenPort() + " base " + settings.ldapBase());
            } catch (IOException | com.unboundid.ldap.sdk.LDAPException e) {
                platformRuntime.fail("keyserver: the LDAP listener cannot listen on " + settings.ldapAddress() + ":" + settings.ldapPort()
                        + " with base " + settings.ldapBase() + " (letterlock.keyserver.ldap.*; port 0 turns it off): " + e.getMessage(), null);
            }
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
        HkpListener running = listener;
        listener = null;
        if (running != null) {
            running.close();
        }
        com.unboundid.ldap.listener.LDAPListener directory = ldap;
        ldap = null;
        if (directory != null) {
            directory.shutDown(true);
        }
    }
}
