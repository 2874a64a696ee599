package org.letterlock.mail.queue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gateway's durable queue: a folder with one message file ({@code ID.msg}, the bytes as received, never changed)
 * and one envelope file ({@code ID.env}) per queued message. A message counts as accepted only once both files and
 * the folder entry are synced to disk; the envelope is moved in last, so a crash before that leaves a message file
 * without an envelope, which the next start deletes (it was never acknowledged). Envelope changes are written to a
 * new file and moved over the old one: a crash leaves the old or the new state, never half of one; at worst a
 * recipient is delivered twice, never lost.
 */
public final class Spool {
    private static final Logger LOG = Logger.getLogger(Spool.class.getName());
    private static final String MESSAGE = ".msg";
    private static final String ENVELOPE = ".env";
    private static final String BROKEN = ".broken";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path queue;
    private final Path incoming;

    private Spool(Path root) {
        this.queue = root.resolve("queue");
        this.incoming = root.resolve("incoming");
    }

    /** Opens (and creates) the spool in {@code root}, clearing what a crash left half-received. */
    public static Spool open(Path root) throws IOException {
        Spool spool = new Spool(root);
        Files.createDirectories(spool.queue);
        Files.createDirectories(spool.incoming);
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(spool.incoming)) {
            for (Path leftover : leftovers) {
                Files.deleteIfExists(leftover);
            }
        }
        return spool;
    }

    /** The queued messages, read from disk: what a start resumes. Message files with no envelope were never accepted and are deleted. */
    public List<Envelope> recover() throws IOException {
        List<Envelope> queued = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queue)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(ENVELOPE)) {
                    try {
                        queued.add(EnvelopeFormat.read(Files.readAllBytes(file)));
                    } catch (IllegalArgumentException e) {
                        // Keep the bytes for the operator; never deliver what we cannot read.
                        Path broken = file.resolveSibling(name + BROKEN);
                        Files.move(file, broken, StandardCopyOption.REPLACE_EXISTING);
                        LOG.severe("spool: envelope " + file + " is unreadable (" + e.getMessage() + "); moved to " + broken + " for inspection");
                    }
                } else if (name.endsWith(MESSAGE) && !Files.exists(queue.resolve(idOf(name) + ENVELOPE))
                        && !Files.exists(queue.resolve(idOf(name) + ENVELOPE + BROKEN))) {
                    Files.deleteIfExists(file);
                }
            }
        }
        queued.removeIf(envelope -> {
            if (Files.exists(messageFile(envelope.id()))) {
                return false;
            }
            LOG.severe("spool: message " + envelope.id() + " has an envelope but no message file; it cannot be delivered");
            return true;
        });
        return queued;
    }

    /** The envelopes queued now, read without changing anything (for listing the queue while the gateway runs). */
    public List<Envelope> list() throws IOException {
        List<Envelope> queued = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queue, "*" + ENVELOPE)) {
            for (Path file : files) {
                try {
                    queued.add(EnvelopeFormat.read(Files.readAllBytes(file)));
                } catch (NoSuchFileException | IllegalArgumentException e) {
                    // Delivered, or being rewritten, while we looked.
                }
            }
        }
        return queued;
    }

    /** A new message being received: its bytes go to a file in the incoming folder until {@link Reception#accept} queues it. */
    public Reception receive() throws IOException {
        return new Reception(newId());
    }

    public Path messageFile(String id) {
        return queue.resolve(id + MESSAGE);
    }

    public InputStream open(String id) throws IOException {
        return Files.newInputStream(messageFile(id));
    }

    public long size(String id) throws IOException {
        return Files.size(messageFile(id));
    }

    /**
     * Writes the envelope's new state. The new file is synced before it replaces the old one: renamed unsynced, a crash
     * can leave it empty on some file systems (XFS), and a message with an unreadable envelope is neither delivered
     * nor bounced. The folder is not synced: losing the rename costs a repeated delivery, not a message.
     */
    public void update(Envelope envelope) throws IOException {
        Path next = incoming.resolve(envelope.id() + ENVELOPE);
        writeSynced(next, EnvelopeFormat.write(envelope), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        move(next, queue.resolve(envelope.id() + ENVELOPE));
    }

    private static void writeSynced(Path file, byte[] content, StandardOpenOption... create) throws IOException {
        java.util.Set<StandardOpenOption> options = new java.util.HashSet<>(List.of(create));
        options.add(StandardOpenOption.WRITE);
        try (FileChannel out = FileChannel.open(file, options)) {
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(content);
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
    }

    /** Removes a message whose every recipient is done: the envelope first, so a crash in between leaves an orphan the next start deletes. */
    public void remove(String id) throws IOException {
        Files.deleteIfExists(queue.resolve(id + ENVELOPE));
        Files.deleteIfExists(messageFile(id));
    }

    /** Queues a message the gateway writes itself (a bounce), synced like a received one. */
    public Envelope enqueue(String sender, List<String> recipients, Instant now, MessageWriter content) throws IOException {
        try (Reception reception = receive()) {
            try (OutputStream out = reception.body()) {
                content.writeTo(out);
            }
            return reception.accept(sender, recipients, Envelope.GATEWAY_CLIENT, false, now);
        }
    }

    /** Writes a message's bytes. */
    @FunctionalInterface
    public interface MessageWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** One message on its way in. Closing it without {@link #accept} deletes what was received. */
    public final class Reception implements AutoCloseable {
        private final String id;
        private final Path file;
        private FileChannel channel;
        private boolean accepted;

        private Reception(String id) throws IOException {
            this.id = id;
            this.file = incoming.resolve(id + MESSAGE);
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        public String id() {
            return id;
        }

        /** Where the message bytes go; closing it does not accept the message. */
        public OutputStream body() {
            return new BufferedOutputStream(new OutputStream() {
                private final java.nio.ByteBuffer single = java.nio.ByteBuffer.allocate(1);

                @Override
                public void write(int b) throws IOException {
                    single.clear();
                    single.put((byte) b).flip();
                    writeFully(single);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    writeFully(java.nio.ByteBuffer.wrap(bytes, offset, length));
                }

                private void writeFully(java.nio.ByteBuffer buffer) throws IOException {
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }
            }, 64 * 1024);
        }

        /** Syncs the message and its envelope to disk and queues it: only after this returns may the sender be told 250. */
        public Envelope accept(String sender, List<String> recipients, String client, boolean requireTls, Instant now) throws IOException {
            channel.force(true);
            channel.close();
            channel = null;
            Envelope envelope = new Envelope(id, now, sender, client, requireTls, recipients.stream().map(r -> Envelope.Recipient.pending(r, now)).toList());
            Path envelopeFile = incoming.resolve(id + ENVELOPE);
            writeSynced(envelopeFile, EnvelopeFormat.write(envelope), StandardOpenOption.CREATE_NEW);
            move(file, messageFile(id));
            move(envelopeFile, queue.resolve(id + ENVELOPE));
            syncDirectory(queue);
            accepted = true;
            return envelope;
        }

        @Override
        public void close() {
            if (accepted) {
                return;
            }
            try {
                if (channel != null) {
                    channel.close();
                }
                Files.deleteIfExists(file);
                Files.deleteIfExists(incoming.resolve(id + ENVELOPE));
            } catch (IOException e) {
                LOG.log(Level.WARNING, "spool: cannot delete the refused message " + id + " from " + incoming + "; the next start deletes it", e);
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the spool folder's file system cannot rename atomically: " + to.getParent(), e);
        }
    }

    /** A rename is durable only once the folder itself is synced (POSIX: fsync on the directory; Linux allows it through a read channel). */
    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static String newId() {
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        return Long.toString(System.currentTimeMillis(), 36) + "-" + java.util.HexFormat.of().formatHex(random);
    }

    private static String idOf(String fileName) {
        return fileName.substring(0, fileName.lastIndexOf('.'));
    }
}
