package org.letterlock.keyserver;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Splits a stream of concatenated binary OpenPGP keys (an SKS dump, {@code gpg --export}) into one byte segment per key,
 * at each public-key (or secret-key) packet, reading packet headers only. A key longer than the limit is skipped to the next key
 * without being held in memory, and a broken header ends the stream with an error, so one bad key never takes the
 * keys before it along.
 */
final class KeyDumpReader {
    private static final int PUBLIC_KEY = 6;
    /** A secret key starts a (refused) key of its own, so it is never glued to the public key before it. */
    private static final int SECRET_KEY = 5;

    /** One key's bytes, or why it was skipped. */
    record Segment(Optional<byte[]> key, Optional<String> problem) {
    }

    private final InputStream in;
    private final int maxKeyBytes;
    private int pending = -1;
    /** After a broken header the packet boundaries are lost: nothing more is read. */
    private boolean lost;

    KeyDumpReader(InputStream in, int maxKeyBytes) {
        this.in = in;
        this.maxKeyBytes = maxKeyBytes;
    }

    /** The next key, or empty at the end of the stream. */
    Optional<Segment> next() throws IOException {
        if (lost) {
            return Optional.empty();
        }
        try {
            return read();
        } catch (IOException e) {
            lost = true;
            return Optional.of(new Segment(Optional.empty(), Optional.of("the stream ends inside a packet header; nothing after it is read")));
        }
    }

    private Optional<Segment> read() throws IOException {
        int first = pending >= 0 ? pending : in.read();
        pending = -1;
        if (first < 0) {
            return Optional.empty();
        }
        ByteArrayOutputStream key = new ByteArrayOutputStream();
        boolean oversized = false;
        String problem = null;
        int header = first;
        boolean firstPacket = true;
        while (header >= 0) {
            if ((header & 0x80) == 0) {
                lost = true;
                return Optional.of(new Segment(Optional.empty(), Optional.of("not an OpenPGP packet header (0x" + Integer.toHexString(header)
                        + "); the rest of the stream is skipped")));
            }
            boolean newFormat = (header & 0x40) != 0;
            int tag = newFormat ? header & 0x3f : (header >> 2) & 0x0f;
            if (!firstPacket && (tag == PUBLIC_KEY || tag == SECRET_KEY)) {
                pending = header;
                break;
            }
            if (firstPacket && tag != PUBLIC_KEY) {
                problem = "packets before a public key packet (tag " + tag + ")";
            }
            firstPacket = false;
            ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
            headerBytes.write(header);
            long length = newFormat ? newLength(headerBytes) : oldLength(header & 0x03, headerBytes);
            if (length < 0) {
                lost = true;
                return Optional.of(new Segment(Optional.empty(), Optional.of("a packet length OpenPGP keys never use (partial or indeterminate); the rest of "
                        + "the stream is skipped")));
            }
            if (!oversized && key.size() + headerBytes.size() + length <= maxKeyBytes) {
                headerBytes.writeTo(key);
                byte[] body = in.readNBytes((int) length);
                if (body.length < length) {
                    lost = true;
                    return Optional.of(new Segment(Optional.empty(), Optional.of("the stream ends inside a packet")));
                }
                key.write(body);
            } else {
                oversized = true;
                long skipped = in.skip(length);
                while (skipped < length && in.read() >= 0) {
                    skipped++;
                }
            }
            header = in.read();
        }
        if (problem != null) {
            return Optional.of(new Segment(Optional.empty(), Optional.of(problem)));
        }
        if (oversized) {
            return Optional.of(new Segment(Optional.empty(), Optional.of("larger than " + maxKeyBytes + " bytes")));
        }
        return Optional.of(new Segment(Optional.of(key.toByteArray()), Optional.empty()));
    }

    private long newLength(ByteArrayOutputStream header) throws IOException {
        int a = read(header);
        if (a < 192) {
            return a;
        }
        if (a < 224) {
            return ((a - 192) << 8) + read(header) + 192;
        }
        if (a == 255) {
            return ((long) read(header) << 24) | (read(header) << 16) | (read(header) << 8) | read(header);
        }
        return -1;
    }

    private long oldLength(int type, ByteArrayOutputStream header) throws IOException {
        return switch (type) {
            case 0 -> read(header);
            case 1 -> (read(header) << 8) | read(header);
            case 2 -> ((long) read(header) << 24) | (read(header) << 16) | (read(header) << 8) | read(header);
            default -> -1;
        };
    }

    private int read(ByteArrayOutputStream header) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new IOException("the stream ends inside a packet header");
        }
        header.write(b);
        return b;
    }
}
