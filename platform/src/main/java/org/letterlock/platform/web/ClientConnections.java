package org.letterlock.platform.web;

import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open connections per client ({@link ClientAddresses#countedAs}: an IPv6 client by its /64), at most a limit each,
 * for listeners whose own cap is for all clients together. Each change is one atomic step, so a connection claimed
 * while its client's count is being dropped is not left uncounted.
 */
public final class ClientConnections {
    private final int perClient;
    private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();

    public ClientConnections(int perClient) {
        this.perClient = perClient;
    }

    /** Counts a new connection from {@code address}; the client it was counted for, or empty when that client holds its share already. */
    public Optional<InetAddress> claim(InetAddress address) {
        InetAddress client = ClientAddresses.countedAs(address);
        boolean[] claimed = {false};
        open.compute(client, (key, held) -> {
            int now = held == null ? 0 : held;
            claimed[0] = now < perClient;
            return claimed[0] ? now + 1 : held;
        });
        return claimed[0] ? Optional.of(client) : Optional.empty();
    }

    /** Gives back a connection {@link #claim} counted for {@code client}. */
    public void release(InetAddress client) {
        open.computeIfPresent(client, (key, held) -> held <= 1 ? null : held - 1);
    }
}
