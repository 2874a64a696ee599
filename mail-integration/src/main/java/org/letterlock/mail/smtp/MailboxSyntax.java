package org.letterlock.mail.smtp;

import java.util.Locale;

/** The addresses the gateway takes in MAIL and RCPT: local@domain within RFC 5321's lengths; a UTF-8 local part is allowed (SMTPUTF8). */
public final class MailboxSyntax {
    private MailboxSyntax() {
    }

    public static boolean valid(String address) {
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1 || address.length() > 254 || at > 64) {
            return false;
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        return validLocalPart(local) && domain.matches("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\\[[0-9a-f:.]+]");
    }

    /** RFC 5321 4.1.2: a dot-string of atext (UTF-8 allowed, RFC 6531), or a quoted string of printable characters. */
    private static boolean validLocalPart(String local) {
        if (local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"")) {
            return local.substring(1, local.length() - 1).matches("([\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x{80}-\\x{10FFFF}]|\\\\[\\x20-\\x7e])*");
        }
        return local.matches("[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\x{80}-\\x{10FFFF}-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\x{80}-\\x{10FFFF}-]+)*");
    }

    /** The address with its domain in lower case (the local part is the receiving system's to interpret). */
    public static String normalized(String address) {
        int at = address.lastIndexOf('@');
        return address.substring(0, at + 1) + address.substring(at + 1).toLowerCase(Locale.ROOT);
    }

    public static String domainOf(String address) {
        return address.substring(address.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    }
}
