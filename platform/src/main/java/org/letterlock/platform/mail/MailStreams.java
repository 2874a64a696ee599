package org.letterlock.platform.mail;

/**
 * Jakarta Mail 2.1 looks up its {@code StreamProvider} (the base64 and quoted-printable streams) through ServiceLoader
 * on every encode and decode of a body (jakartaee/mail-api issue 861). Inside Payara each lookup scans the class
 * loaders' resources: 12% of the server's CPU under ACME load, where every order sends one mail and parses another. The
 * API reads the provider's class name from a system property before it scans, which makes the lookup a class load.
 */
public final class MailStreams {
    static final String PROPERTY = "jakarta.mail.util.StreamProvider";
    /** Angus Mail's provider, the one ServiceLoader would find: the implementation Payara and Letterlock ship. */
    static final String ANGUS = "org.eclipse.angus.mail.util.MailStreamProvider";

    private MailStreams() {
    }

    /** Names Angus Mail's provider in the system property, unless the operator named one. Call before mail is handled. */
    public static void nameProvider() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, ANGUS);
        }
    }
}
