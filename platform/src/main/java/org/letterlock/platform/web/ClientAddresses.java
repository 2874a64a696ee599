package org.letterlock.platform.web;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The address a client is counted by in per-client limits: an IPv4 address as it is, an IPv6 address by its /64, as
 * one host or site is given a whole /64 and could otherwise count as a new client with every address of it.
 */
public final class ClientAddresses {
    private ClientAddresses() {
    }

    /** {@code address}, or for IPv6 the first address of its /64 ("2001:db8:1:2:0:0:0:0"). */
    public static InetAddress countedAs(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
        Arrays.fill(prefix, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(prefix);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are an IPv6 address", e);
        }
    }
}
