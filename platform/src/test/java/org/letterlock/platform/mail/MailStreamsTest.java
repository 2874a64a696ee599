package org.letterlock.platform.mail;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.util.StreamProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The provider named in the system property is the one ServiceLoader finds; none is named where the API would fail to
 * load it; an operator's own choice stands.
 */
class MailStreamsTest {
    private String before;

    @BeforeEach
    void keep() {
        before = System.getProperty(MailStreams.PROPERTY);
        System.clearProperty(MailStreams.PROPERTY);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(MailStreams.PROPERTY);
        } else {
            System.setProperty(MailStreams.PROPERTY, before);
        }
    }

    @Test
    void namesTheProviderServiceLoaderWouldFind() {
        MailStreams.nameProvider();

        String found = ServiceLoader.load(StreamProvider.class).findFirst().orElseThrow().getClass().getName();
        assertThat(System.getProperty(MailStreams.PROPERTY)).isEqualTo(found);
        assertThat(StreamProvider.provider().getClass().getName()).isEqualTo(found);
    }

    @Test
    void namesNothingWhenTheContextClassLoaderCannotSeeAngusMail() {
        Thread thread = Thread.currentThread();
        ClassLoader own = thread.getContextClassLoader();
        thread.setContextClassLoader(ClassLoader.getPlatformClassLoader());
        try {
            MailStreams.nameProvider();
        } finally {
            thread.setContextClassLoader(own);
        }

        assertThat(System.getProperty(MailStreams.PROPERTY)).isNull();
    }

    @Test
    void keepsTheOperatorsChoice() {
        System.setProperty(MailStreams.PROPERTY, "org.example.OwnStreamProvider");

        MailStreams.nameProvider();

        assertThat(System.getProperty(MailStreams.PROPERTY)).isEqualTo("org.example.OwnStreamProvider");
    }
}
