package org.letterlock.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A client holds at most its share; a connection given back frees a place; an IPv6 /64 is one client. */
class ClientConnectionsTest {
    @Test
    void aClientHoldsAtMostItsShareAndGetsPlacesBack() throws Exception {
        ClientConnections connections = new ClientConnections(2);
        InetAddress one = InetAddress.getByName("2001:db8:1:2::7");
        InetAddress sameSlash64 = InetAddress.getByName("2001:db8:1:2::8");
        Optional<InetAddress> first = connections.claim(one);
        assertThat(first).contains(InetAddress.getByName("2001:db8:1:2::"));
        assertThat(connections.claim(sameSlash64)).isPresent();
        assertThat(connections.claim(one)).as("the /64 holds its two").isEmpty();
        assertThat(connections.claim(InetAddress.getByName("192.0.2.1"))).as("another client").isPresent();
        connections.release(first.get());
        assertThat(connections.claim(sameSlash64)).as("a place given back").isPresent();
        assertThat(connections.claim(one)).isEmpty();
    }
}
