package org.letterlock.keyserver.web;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Optional;
import javax.net.ServerSocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The LDAP listeners' server sockets. One client address (an IPv6 /64) holds at most
 * {@link LdapDirectory.ConnectionLimits#perClient} connections; more are closed as they come. Each connection is
 * closed once it has said nothing for {@link LdapDirectory.ConnectionLimits#idle}. The listener's own cap is for all
 * clients together, so without these one client could hold every connection open for good. For LDAPS the TLS layer is
 * put over each accepted connection here, so that it is counted as a plain one.
 */
final class LdapSockets extends ServerSocketFactory {

    private final LdapDirectory.ConnectionLimits limits;
    private final Optional<SSLSocketFactory> tls;
    private final org.letterlock.platform.web.ClientConnections open;

    LdapSockets(LdapDirectory.ConnectionLimits limits, Optional<SSLSocketFactory> tls) {
        this.limits = limits;
        this.tls = tls;
        this.open = new org.letterlock.platform.web.ClientConnections(limits.perClient());
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
        return new Limited();
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        return createServerSocket(port, 50, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
        return createServerSocket(port, backlog, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
        Limited socket = new Limited();
        socket.bind(new java.net.InetSocketAddress(address, port), backlog);
        return socket;
    }

    private final class Limited extends ServerSocket {
        Limited() throws IOException {
            super();
        }

        @Override
        public Socket accept() throws IOException {
            while (true) {
                Counted socket = new Counted();
                implAccept(socket);
                if (!socket.claim()) {
                    socket.close();
                    continue;
                }
                try {
                    socket.setSoTimeout((int) limits.idle().toMillis());
                    if (tls.isEmpty()) {
                        return socket;
                    }
                    SSLSocket layered = (SSLSocket) tls.get().createSocket(socket, null, socket.getPort(), true);
                    layered.setUseClientMode(false);
                    return layered;
                } catch (IOException | RuntimeException e) {
                    socket.close();
                    throw e;
                }
            }
        }
    }

    /** A connection counted against its client until it is closed; {@code client} is null once it is not counted. */
    private final class Counted extends Socket {
        private InetAddress client;

        /** Counts this connection against its client; false when the client holds its share already. */
        synchronized boolean claim() {
            client = open.claim(getInetAddress()).orElse(null);
            return client != null;
        }

        @Override
        public synchronized void close() throws IOException {
            try {
                super.close();
            } finally {
                InetAddress counted = client;
                client = null;
                if (counted != null) {
                    open.release(counted);
                }
            }
        }
    }
}
