package org.letterlock.platform.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ActorTest {
    @AfterEach
    void clear() {
        Actor.clear();
    }

    @Test
    void aScopeActsAsItsActorAndPutsBackWhoActedBefore() {
        Actor.set("alice");
        try (Actor.Scope outer = Actor.as("keyserver-client 192.0.2.1")) {
            assertThat(Actor.current()).isEqualTo("keyserver-client 192.0.2.1");
            try (Actor.Scope inner = Actor.as("gateway message:1")) {
                assertThat(Actor.current()).isEqualTo("gateway message:1");
            }
            assertThat(Actor.current()).isEqualTo("keyserver-client 192.0.2.1");
        }
        assertThat(Actor.current()).isEqualTo("alice");
    }

    @Test
    void onAThreadNobodyNamedTheScopeLeavesTheSystemActing() throws Exception {
        Thread pooled = new Thread(() -> {
            try (Actor.Scope client = Actor.as("acme-reply smtp 192.0.2.25")) {
                assertThat(Actor.current()).isEqualTo("acme-reply smtp 192.0.2.25");
            }
            assertThat(Actor.current()).isEqualTo(Actor.SYSTEM);
        });
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        pooled.setUncaughtExceptionHandler((thread, e) -> failure.set(e));
        pooled.start();
        pooled.join();
        assertThat(failure.get()).isNull();
    }
}
