package org.letterlock.enroll.acme;

import java.util.Locale;
import java.util.Optional;

/**
 * What the reply receivers (SMTP and LMTP) take: mail for the challenge address only, one recipient, up to
 * {@link #MAX_MESSAGE_BYTES}, judged by {@link ChallengeReplies} while the sending MTA waits.
 */
final class ReplyIntake {
    /** A reply is a short text mail; 256 KiB leaves room for quoted challenge text and signatures. */
    static final int MAX_MESSAGE_BYTES = 256 * 1024;
    static final String TOO_LARGE = "5.3.4 a reply is at most " + MAX_MESSAGE_BYTES + " bytes";

    private final ChallengeReplies replies;
    private final String challengeAddress;

    ReplyIntake(ChallengeReplies replies, String challengeAddress) {
        this.replies = replies;
        this.challengeAddress = challengeAddress.toLowerCase(Locale.ROOT);
    }

    /** Why {@code recipient} is refused (enhanced status code and text), or empty when it is the challenge address. */
    Optional<String> refusal(String recipient) {
        return recipient.toLowerCase(Locale.ROOT).equals(challengeAddress) ? Optional.empty()
                : Optional.of("5.1.1 only replies to ACME challenges (" + challengeAddress + ") are taken here");
    }

    /** Takes the reply or refuses it (audited either way); returns the enhanced status code and text of the answer. */
    String accept(byte[] raw) throws ChallengeReplies.Refused {
        return replies.accept(raw);
    }
}
