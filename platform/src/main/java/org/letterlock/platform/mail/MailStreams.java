package org.letterlock.platform.mail;

import jakarta.mail.util.StreamProvider;

/**
 * Jakarta Mail 2.1 looks up its {@code StreamProvider} (the base64 and quoted-printable streams) through ServiceLoader
 * on every encode and decode of a body (jakartaee/mail-api issue 861). Inside Payara each lookup scans the class
 * loaders' resources: 12% of the server's CPU under ACME load, where every order sends one mail and parses another. The
 * API reads the provider's class name from a system property before it scans, which makes the lookup a class load.
 * <p>
 * The API loads the named class through the calling thread's context class loader and fails (rather than scanning)
 * when that loader cannot see it. So the property is set only when the starting thread's loader and the API's own see
 * Angus Mail; every thread Letterlock starts inherits the starting thread's loader.
 */
public final class MailStreams {
    static final String PROPERTY = "jakarta.mail.util.StreamProvider";
    /** Angus Mail's provider, the one ServiceLoader would find: the implementation Payara and Letterlock ship. */
    static final String ANGUS = "org.eclipse.angus.mail.util.MailStreamProvider";

    private MailStreams() {
    }

    /** Names Angus Mail's provider in the system property, unless the operator named one or it cannot be loaded here. */
    public static void nameProvider() {
        if (System.getProperty(PROPERTY) == null && visible(Thread.currentThread().getContextClassLoader())
                && visible(StreamProvider.class.getClassLoader())) {
            System.setProperty(PROPERTY, ANGUS);
        }
    }

    private static boolean visible(ClassLoader loader) {
        try {
            return StreamProvider.class.isAssignableFrom(Class.forName(ANGUS, false, loader));
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
