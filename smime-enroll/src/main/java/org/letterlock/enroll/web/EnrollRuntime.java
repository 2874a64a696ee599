package org.letterlock.enroll.web;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.logging.Logger;
import org.letterlock.ca.web.CaRuntime;
import org.letterlock.enroll.EnrollmentServices;
import org.letterlock.enroll.acme.ReplyReceiver;
import org.letterlock.escrow.web.EscrowRuntime;
import org.letterlock.platform.config.EnrollSettings;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.web.PlatformRuntime;
import org.letterlock.platform.web.PlatformStarted;

/** Starts enrollment once the CA and escrow have started, and its HTTPS listener; a listener that cannot bind stops the server with one message. */
@ApplicationScoped
public class EnrollRuntime {
    private static final Logger LOG = Logger.getLogger(EnrollRuntime.class.getName());

    @Inject
    PlatformRuntime platformRuntime;

    @Inject
    CaRuntime caRuntime;

    @Inject
    EscrowRuntime escrowRuntime;

    private volatile EnrollmentServices services;
    private volatile EnrollListener listener;
    private volatile Optional<ReplyReceiver> acmeReplies = Optional.empty();

    /** After escrow, whose keys enrollment hands out. */
    void onPlatformStarted(@Observes @Priority(CaRuntime.ORDER + 200) PlatformStarted event) {
        Letterlock platform = event.platform();
        EnrollSettings settings = platform.config().enroll();
        try {
            services = EnrollmentServices.start(platform, caRuntime.ca(), escrowRuntime.escrow().keys());
        } catch (LetterlockException e) {
            platformRuntime.fail("enrollment: " + e.getMessage(), null);
            return;
        }
        if (settings.port() == 0) {
            LOG.info("enrollment listener off (letterlock.enroll.port=0)");
            return;
        }
        try {
            listener = EnrollListener.start(new InetSocketAddress(settings.address(), settings.port()), services, caRuntime.tlsIdentity());
            LOG.info("enrollment listener (EST, ACME, CMP) on https://" + settings.address() + ":" + listener.address().getPort() + ", reached as " + settings.url());
            acmeReplies = ReplyReceiver.start(services, caRuntime.tlsIdentity().serverContext());
        } catch (IOException e) {
            platformRuntime.fail("enrollment: the listener cannot listen on " + settings.address() + ":" + settings.port()
                    + " (letterlock.enroll.port; 0 turns it off) or the ACME reply receiver on " + platform.config().enrollAcme().replyAddress() + ":"
                    + platform.config().enrollAcme().replyPort() + " or " + platform.config().enrollAcme().replyLmtpPort()
                    + " (letterlock.enroll.acme.reply-port and reply-lmtp-port; 0 turns each off): " + e.getMessage(), null);
        }
    }

    public EnrollmentServices services() {
        EnrollmentServices running = services;
        if (running == null) {
            throw new LetterlockException(ErrorType.UNAVAILABLE, "enrollment is not started");
        }
        return running;
    }

    @PreDestroy
    void stop() {
        acmeReplies.ifPresent(ReplyReceiver::close);
        acmeReplies = Optional.empty();
        EnrollListener running = listener;
        listener = null;
        if (running != null) {
            running.close();
        }
    }
}
