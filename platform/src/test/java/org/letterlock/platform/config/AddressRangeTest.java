package org.letterlock.platform.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressRangeTest {
    @ParameterizedTest
    @CsvSource({
            "127.0.0.0/8,    127.0.0.1,     true",
            "127.0.0.0/8,    128.0.0.1,     false",
            "192.0.2.25,     192.0.2.25,    true",
            "192.0.2.25,     192.0.2.26,    false",
            "192.0.2.0/25,   192.0.2.127,   true",
            "192.0.2.0/25,   192.0.2.128,   false",
            "192.0.2.77/24,  192.0.2.1,     true",
            "0.0.0.0/0,      203.0.113.9,   true",
            "0.0.0.0/0,      ::1,           false",
            "::1,            ::1,           true",
            "::1,            127.0.0.1,     false",
            "2001:db8::/32,  2001:db8:ff::1, true",
            "2001:db8::/33,  2001:db8:8000::1, false",
    })
    void containsTheAddressesOfItsPrefix(String range, String address, boolean contained) throws Exception {
        InetAddress literal = InetAddress.getByName(address);
        assertThat(AddressRange.parse(range)).hasValueSatisfying(r -> assertThat(r.contains(literal)).isEqualTo(contained));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "mx.example.org", "localhost", "192.0.2.0/33", "::/129", "192.0.2.0/", "192.0.2.0/-1", "192.0.2", "1.2.3.4.5", "300.1.1.1", ".::1", "::ffff:192.0.2.0/24", "fe80::1%eth0", "192.0.2.0/8x"})
    void namesAndBadPrefixesAreRefused(String range) {
        assertThat(AddressRange.parse(range)).isEmpty();
    }
}
