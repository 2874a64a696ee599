package org.letterlock.mail.delivery;

import org.letterlock.mail.message.HeaderSection;
import org.letterlock.mail.queue.Envelope;

/** Policy and key resolution for one recipient of a message. */
@FunctionalInterface
public interface Decider {
    Decision decide(Envelope envelope, HeaderSection headers, String recipient);
}
