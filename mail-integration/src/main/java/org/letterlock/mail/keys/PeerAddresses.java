package org.letterlock.mail.keys;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Where to connect for a host name and port. Injected so that the peers of tests (and of sites with split DNS) can be
 * reached under their real names while TLS still checks those names.
 */
@FunctionalInterface
public interface PeerAddresses {

    /** The socket addresses to try in order, never empty; UnknownHostException when the name has none. */
    List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException;

    /** The system's resolver (DNS), the port as given. */
    static PeerAddresses system() {
        return (host, port) -> Arrays.stream(InetAddress.getAllByName(host)).map(address -> new InetSocketAddress(address, port)).toList();
    }
}
