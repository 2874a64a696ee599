package org.letterlock.platform.store;


import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The mail a test platform wrote to {@code <data>/outbox} (the file transport). */
public final class Outbox {
    private Outbox() {
    }

    /** Every message to {@code address}, oldest first. */
    public static List<String> mailsTo(Path dataDir, String address) throws IOException {
        Path outbox = dataDir.resolve("outbox");
        if (!Files.isDirectory(outbox)) {
            return List.of();
        }
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(outbox)) {
            for (Path mail : files.filter(p -> p.toString().endsWith(".eml")).sorted().toList()) {
                String text = Files.readString(mail);
                if (text.contains("To: " + address)) {
                    found.add(text);
                }
            }
        }
        return found;
    }

    /** The token of the newest verification mail to {@code address}. */
    public static String verificationToken(Path dataDir, String address) throws IOException {
        List<String> mails = mailsTo(dataDir, address);
        for (int i = mails.size() - 1; i >= 0; i--) {
            Matcher m = Pattern.compile("token=([A-Za-z0-9_-]+)").matcher(mails.get(i));
            if (m.find()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no verification mail to " + address + " in " + dataDir.resolve("outbox"));
    }

}
