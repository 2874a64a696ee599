package org.letterlock.mail.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The receiver's message check and the client's dot-stuffing, opened to the robustness tests in another package: the
 * gateway keeps both package-private.
 */
public final class StreamStages {
    private StreamStages() {
    }

    /** What a {@link MessageCheck} makes of a message that arrives in these chunks: empty when it passes, else the refusal. */
    public static Optional<Reply> check(long maxBytes, List<byte[]> chunks) {
        MessageCheck check = new MessageCheck(maxBytes);
        try {
            for (byte[] chunk : chunks) {
                check.scan(chunk, chunk.length);
            }
            return Optional.empty();
        } catch (MessageCheck.Refused refused) {
            return Optional.of(new Reply(refused.code(), refused.getMessage()));
        }
    }

    /** What {@link DotStuffing} sends for a message written to it in these chunks, the final dot line included. */
    public static byte[] dotStuffed(List<byte[]> chunks) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffing stuffing = new DotStuffing(out);
        for (byte[] chunk : chunks) {
            stuffing.write(chunk, 0, chunk.length);
        }
        stuffing.finish();
        return out.toByteArray();
    }
}
