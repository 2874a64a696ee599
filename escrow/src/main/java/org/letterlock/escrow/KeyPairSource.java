package org.letterlock.escrow;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.KeySpec;

/**
 * Encryption key pairs made in software for escrow. RSA generation takes a few hundred milliseconds, so a bounded pool
 * per RSA spec is kept filled by one low-priority thread; its keys live only in this process's memory, like every key
 * on its way to a PKCS#12. EC keys are made on request.
 */
final class KeyPairSource implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KeyPairSource.class.getName());

    private final Map<KeySpec, BlockingQueue<KeyPair>> pools = new EnumMap<>(KeySpec.class);
    private final Thread filler;
    private volatile boolean closed;

    KeyPairSource(List<KeySpec> specs, int poolSize) {
        if (poolSize > 0) {
            specs.stream().filter(s -> s.keyAlgorithm().equals("RSA")).forEach(s -> pools.put(s, new ArrayBlockingQueue<>(poolSize)));
        }
        filler = pools.isEmpty() ? null : new Thread(this::fill, "letterlock-escrow-keys");
        if (filler != null) {
            filler.setDaemon(true);
            filler.setPriority(Thread.MIN_PRIORITY);
            filler.start();
        }
    }

    KeyPair next(KeySpec spec) {
        BlockingQueue<KeyPair> pool = pools.get(spec);
        KeyPair pooled = pool == null ? null : pool.poll();
        return pooled != null ? pooled : generate(spec);
    }

    static KeyPair generate(KeySpec spec) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm());
            generator.initialize(spec.parameters());
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new LetterlockException(ErrorType.INTERNAL, "cannot generate a " + spec.configName() + " key pair: " + e.getMessage(), e);
        }
    }

    private void fill() {
        while (!closed) {
            boolean added = false;
            for (Map.Entry<KeySpec, BlockingQueue<KeyPair>> pool : pools.entrySet()) {
                if (pool.getValue().remainingCapacity() > 0) {
                    try {
                        added |= pool.getValue().offer(generate(pool.getKey()));
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "pre-generating " + pool.getKey().configName() + " keys failed", e);
                    }
                }
            }
            if (!added) {
                try {
                    TimeUnit.MILLISECONDS.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (filler != null) {
            filler.interrupt();
        }
        pools.values().forEach(BlockingQueue::clear);
    }
}
