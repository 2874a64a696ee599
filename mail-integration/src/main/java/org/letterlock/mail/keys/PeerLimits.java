package org.letterlock.mail.keys;

import java.time.Duration;

/**
 * What one question to a peer may cost: a slow or hostile peer holds a delivery worker for at most
 * {@code answerTimeout} and memory for at most {@code maxAnswerBytes}.
 *
 * @param connectTimeout per address tried
 * @param answerTimeout  the whole exchange, from the first connection attempt to the last byte of the answer
 * @param maxAnswerBytes the answer's body (an LDAP message as a whole)
 */
public record PeerLimits(Duration connectTimeout, Duration answerTimeout, int maxAnswerBytes) {

    /** A megabyte fits any honest key or certificate entry (the keyserver accepts uploads up to the same size). */
    public static final PeerLimits DEFAULT = new PeerLimits(Duration.ofSeconds(5), Duration.ofSeconds(20), 1024 * 1024);
}
