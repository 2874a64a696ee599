package org.letterlock.mail.keys;

/** One place recipients' keys are asked for; {@link ExternalKeys} asks them in turn and caches what they say. */
public interface KeySource {

    Source source();

    /** Whether this source can know {@code address} at all (a partner directory knows its own domains only). */
    default boolean covers(String address) {
        return true;
    }

    /**
     * What the source holds for {@code address} (normalised), checked and filtered. Never throws for a peer that is
     * down or answers badly: that is a {@link Outcome#TEMPORARY_FAILURE} or {@link Outcome#NO_KEY} lookup.
     */
    Lookup lookup(String address);
}
