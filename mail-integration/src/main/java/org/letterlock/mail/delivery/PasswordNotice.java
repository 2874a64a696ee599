package org.letterlock.mail.delivery;

import org.letterlock.mail.policy.RecipientRule;

/** The clear text that goes with passphrase-encrypted mail: who sent it and how to open it, never the passphrase. */
final class PasswordNotice {
    private PasswordNotice() {
    }

    static String text(String sender, RecipientRule.PasswordFormat format) {
        String from = sender.isEmpty() ? "the mail system" : sender;
        return switch (format) {
            case CMS -> """
                    This message from %s is encrypted with a passphrase that its sender agreed with you.
                    The passphrase is not in this mail: ask the sender for it by phone or in person if you do not have it.

                    To read the message, save the attachment "smime.p7m" and open it with the passphrase, for example:
                        openssl cms -decrypt -pwri_password 'THE PASSPHRASE' -in smime.p7m
                    The result is the original message, to be opened in any mail program.
                    """.formatted(from);
            case OPENPGP -> """
                    This message from %s is encrypted with a passphrase that its sender agreed with you.
                    The passphrase is not in this mail: ask the sender for it by phone or in person if you do not have it.

                    To read the message, save the attachment "encrypted.asc" and open it with the passphrase, with any OpenPGP program:
                        gpg --decrypt encrypted.asc        (or: sq decrypt encrypted.asc, rnp --decrypt encrypted.asc)
                    The result is the original message, to be opened in any mail program.
                    """.formatted(from);
        };
    }
}
