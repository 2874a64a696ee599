package org.letterlock.vault;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The key manager inside a vault's TLS server context: one vault key, offered for the JSSE key type it is, with
 * whatever chain the supplier holds at the time of the handshake. It is never handed out, so nothing outside the
 * vault can ask it for the key; JSSE alone does, and passes the key to a signature engine of the key's provider.
 */
final class VaultKeyManager extends X509ExtendedKeyManager {
    private final String alias;
    private final String keyType;
    private final PrivateKey key;
    private final byte[] publicKey;
    private final Supplier<List<X509Certificate>> chain;

    VaultKeyManager(KeyUri name, String keyType, PrivateKey key, PublicKey publicKey, Supplier<List<X509Certificate>> chain) {
        this.alias = name.toString();
        this.keyType = keyType;
        this.key = key;
        this.publicKey = publicKey.getEncoded();
        this.chain = chain;
    }

    /** The chain, if its first certificate is for this key: a supplier that went wrong fails the handshake, not the key. */
    X509Certificate[] currentChain() {
        List<X509Certificate> current = chain.get();
        if (current == null || current.isEmpty() || !Arrays.equals(current.get(0).getPublicKey().getEncoded(), publicKey)) {
            return null;
        }
        return current.toArray(X509Certificate[]::new);
    }

    private String serverAlias(String requestedKeyType) {
        return keyType.equals(requestedKeyType) && currentChain() != null ? alias : null;
    }

    @Override
    public String chooseServerAlias(String requestedKeyType, Principal[] issuers, Socket socket) {
        return serverAlias(requestedKeyType);
    }

    @Override
    public String chooseEngineServerAlias(String requestedKeyType, Principal[] issuers, SSLEngine engine) {
        return serverAlias(requestedKeyType);
    }

    @Override
    public String[] getServerAliases(String requestedKeyType, Principal[] issuers) {
        String chosen = serverAlias(requestedKeyType);
        return chosen == null ? null : new String[] {chosen};
    }

    @Override
    public X509Certificate[] getCertificateChain(String requested) {
        return alias.equals(requested) ? currentChain() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String requested) {
        return alias.equals(requested) ? key : null;
    }

    /** A server identity only: it never authenticates this side as a TLS client. */
    @Override
    public String[] getClientAliases(String requestedKeyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return null;
    }
}
