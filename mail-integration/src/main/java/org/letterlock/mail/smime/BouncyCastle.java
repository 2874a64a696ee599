package org.letterlock.mail.smime;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The provider every S/MIME operation here names: an instance, not registered, so the JVM's provider list stays as it is. */
final class BouncyCastle {
    static final Provider PROVIDER = new BouncyCastleProvider();

    private BouncyCastle() {
    }
}
