package org.letterlock.enroll.acme;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.config.AddressRange;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * What the reply receivers (SMTP and LMTP) take: mail for the challenge address only, one recipient, up to
 * {@link #MAX_MESSAGE_BYTES}, judged by {@link ChallengeReplies} while the sending MTA waits. The verdict is made here
 * once, and each receiver only sends it.
 */
final class ReplyIntake {
    private static final Logger LOG = Logger.getLogger(ReplyIntake.class.getName());
    /** A reply is a short text mail; 256 KiB leaves room for quoted challenge text and signatures. */
    static final int MAX_MESSAGE_BYTES = 256 * 1024;
    static final String TOO_LARGE = "5.3.4 a reply is at most " + MAX_MESSAGE_BYTES + " bytes";

    /** An answer to a message: the reply code, then the enhanced status code and text. */
    record Verdict(int code, String text) {
        boolean accepted() {
            return code == 250;
        }
    }

    private final ChallengeReplies replies;
    private final String challengeAddress;
    private final List<AddressRange> trustedRelays;

    ReplyIntake(ChallengeReplies replies, String challengeAddress, List<AddressRange> trustedRelays) {
        this.replies = replies;
        this.challengeAddress = challengeAddress.toLowerCase(Locale.ROOT);
        this.trustedRelays = List.copyOf(trustedRelays);
    }

    /** Why {@code recipient} is refused (enhanced status code and text), or empty when it is the challenge address. */
    Optional<String> refusal(String recipient) {
        return recipient.toLowerCase(Locale.ROOT).equals(challengeAddress) ? Optional.empty()
                : Optional.of("5.1.1 only replies to ACME challenges (" + challengeAddress + ") are taken here");
    }

    /**
     * Takes the reply, handed over over {@code protocol} ("smtp", "lmtp") by the client at {@code from}, or refuses
     * it, audited either way. Its Authentication-Results count only when that client is one of the trusted relays. A
     * failure that is not the reply's fault (the database unreachable, a fault of ours) is 451, so the MTA keeps the
     * reply and tries again.
     */
    Verdict judge(byte[] raw, String protocol, SocketAddress from) {
        if (raw.length > MAX_MESSAGE_BYTES) {
            return new Verdict(552, TOO_LARGE);
        }
        // Until the reply proves its mailbox, its records name the MTA that handed it over ("smtp 192.0.2.25");
        // receiver threads are pooled, so the next session must not act under this one's name.
        String peer = from instanceof InetSocketAddress socket ? socket.getAddress().getHostAddress() : String.valueOf(from);
        boolean relayed = from instanceof InetSocketAddress socket && trustedRelays.stream().anyMatch(range -> range.contains(socket.getAddress()));
        try (org.letterlock.platform.audit.Actor.Scope mta = org.letterlock.platform.audit.Actor.as("acme-reply " + protocol + " " + peer)) {
            return new Verdict(250, replies.accept(raw, relayed));
        } catch (ChallengeReplies.Refused refused) {
            return new Verdict(550, refused.status() + " " + refused.getMessage());
        } catch (LetterlockException e) {
            if (e.type() != ErrorType.UNAVAILABLE && e.type() != ErrorType.INTERNAL) {
                return new Verdict(554, "5.6.0 " + e.getMessage());
            }
            return tryAgain(e);
        } catch (RuntimeException e) {
            return tryAgain(e);
        }
    }

    private static Verdict tryAgain(RuntimeException e) {
        LOG.log(Level.WARNING, "an ACME reply could not be judged; the MTA is told to try again", e);
        return new Verdict(451, "4.3.0 the reply cannot be judged now; try again later");
    }
}
