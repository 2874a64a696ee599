package org.letterlock.mail.keys;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tests' DNS: each name a peer answers to is on 127.0.0.1, either at the port the URL says or at a port of its own
 * whatever the URL says (443 for WKD, which names no port); every other name has no address.
 */
final class LoopbackNames implements PeerAddresses {
    private static final int PORT_AS_ASKED = -1;

    private final Map<String, Integer> ports = new ConcurrentHashMap<>();

    /** {@code host} on loopback at {@code port}, whatever port is asked for. */
    LoopbackNames map(String host, int port) {
        ports.put(host, port);
        return this;
    }

    /** {@code host} on loopback at the port asked for. */
    LoopbackNames loopback(String host) {
        return map(host, PORT_AS_ASKED);
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
        Integer mapped = ports.get(host);
        if (mapped == null) {
            throw new UnknownHostException(host);
        }
        return List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), mapped == PORT_AS_ASKED ? port : mapped));
    }

    /** A port nothing listens on (just closed), for a peer that is down. */
    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
