package org.letterlock.platform.identity;

import java.util.Locale;
import java.util.regex.Pattern;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/** Checks and normalises a mailbox address (RFC 5321 dot-atom local part, DNS domain), compared case-insensitively. */
public final class MailAddress {
    private static final Pattern ATOM = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private MailAddress() {
    }

    public static String normalise(String address) {
        if (address == null || address.length() > 254) {
            throw invalid(address, "missing or longer than 254 characters");
        }
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            throw invalid(address, "needs a local part and a domain");
        }
        String local = address.substring(0, at);
        // Checked before lower-casing: Java lower-cases some non-ASCII letters to ASCII (the Kelvin sign to k), which would
        // make another address of this one.
        if (!address.substring(at + 1).chars().allMatch(c -> c < 0x80)) {
            throw invalid(address, "domain is not ASCII (write an internationalised domain in its xn-- form)");
        }
        String domain = address.substring(at + 1).toLowerCase(Locale.ROOT);
        if (local.length() > 64) {
            throw invalid(address, "local part longer than 64 characters");
        }
        for (String atom : local.split("\\.", -1)) {
            if (!ATOM.matcher(atom).matches()) {
                throw invalid(address, "local part is not a dot-atom");
            }
        }
        String[] labels = domain.split("\\.", -1);
        if (labels.length < 2) {
            throw invalid(address, "domain needs at least two labels");
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw invalid(address, "domain label '" + label + "' is not a DNS label");
            }
        }
        return local.toLowerCase(Locale.ROOT) + "@" + domain;
    }

    private static LetterlockException invalid(String address, String reason) {
        return new LetterlockException(ErrorType.BAD_REQUEST, "'" + address + "' is not a mailbox address: " + reason);
    }
}
