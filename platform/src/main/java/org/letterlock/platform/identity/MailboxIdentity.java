package org.letterlock.platform.identity;

import java.time.Instant;
import java.util.Optional;

/** A mailbox address, the person who owns it, and whether that person proved they receive its mail. */
public record MailboxIdentity(String address, String owner, Instant createdAt, Optional<Instant> verifiedAt) {
    public boolean verified() {
        return verifiedAt.isPresent();
    }
}
