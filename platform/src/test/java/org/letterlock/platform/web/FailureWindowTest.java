package org.letterlock.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Tries counted from their start ({@code begin}) until they succeed: at once or one by one, no more than the limit get through. */
class FailureWindowTest {
    private static final Duration WINDOW = Duration.ofMinutes(15);

    @Test
    void triesStartedAtOnceGetNoFurtherThanTheLimit() throws Exception {
        FailureWindow window = new FailureWindow(5, WINDOW);
        ExecutorService threads = Executors.newFixedThreadPool(20);
        try {
            CountDownLatch start = new CountDownLatch(1);
            var begun = IntStream.range(0, 20).mapToObj(i -> threads.submit(() -> {
                start.await();
                return window.begin("198.51.100.1 a@example.org");
            })).toList();
            start.countDown();
            long passed = 0;
            for (Future<Boolean> result : begun) {
                passed += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(passed).isEqualTo(5);
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A source dropped by a try that succeeded must not take along the count of a try that began at that moment. The
     * race is open while the guesser has no count yet, so each round starts on a fresh source.
     */
    @Test
    void triesThatSucceedAroundAGuesserLoseNoneOfItsCount() throws Exception {
        FailureWindow window = new FailureWindow(3, WINDOW);
        java.util.concurrent.atomic.AtomicReference<String> source = new java.util.concurrent.atomic.AtomicReference<>("round 0");
        java.util.concurrent.atomic.AtomicBoolean guessing = new java.util.concurrent.atomic.AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            var honest = IntStream.range(0, 3).mapToObj(i -> threads.submit(() -> {
                while (guessing.get()) {
                    String now = source.get();
                    if (window.begin(now)) {
                        window.succeeded(now);
                    }
                }
                return null;
            })).toList();
            int pastTheLimit = 0;
            for (int round = 1; round <= 300; round++) {
                String guessed = "round " + round;
                source.set(guessed);
                int admitted = 0;
                for (int call = 0; call < 1_000_000 && admitted < 3; call++) {
                    admitted += window.begin(guessed) ? 1 : 0;
                }
                assertThat(admitted).as("round " + round).isEqualTo(3);
                for (int call = 0; call < 2_000; call++) {
                    pastTheLimit += window.begin(guessed) ? 1 : 0;
                }
            }
            guessing.set(false);
            for (Future<?> thread : honest) {
                thread.get(10, TimeUnit.SECONDS);
            }
            assertThat(pastTheLimit).as("tries past the limit while others succeeded around them, in 300 rounds").isZero();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aTryThatSucceededNoLongerCountsAndAnUnendedOneAgesOut() {
        AtomicLong now = new AtomicLong();
        FailureWindow window = new FailureWindow(2, WINDOW, now::get);
        for (int i = 0; i < 10; i++) {
            assertThat(window.begin("s")).as("try " + (i + 1) + ", each succeeded").isTrue();
            window.succeeded("s");
        }
        assertThat(window.sources()).as("a source that only succeeded is not kept").isZero();
        assertThat(window.begin("s")).isTrue();
        assertThat(window.begin("s")).isTrue();
        assertThat(window.begin("s")).as("two tries never ended").isFalse();
        assertThat(window.allowed("s")).isFalse();
        assertThat(window.begin("another source")).isTrue();

        now.addAndGet(WINDOW.toNanos() + 1);
        assertThat(window.begin("s")).as("the unended tries aged out").isTrue();
    }
}
