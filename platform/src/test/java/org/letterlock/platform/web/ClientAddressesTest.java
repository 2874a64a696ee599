package org.letterlock.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientAddressesTest {
    @ParameterizedTest
    @CsvSource({
            "192.0.2.7,                 192.0.2.7",
            "2001:db8:1:2:aaaa::7,      2001:db8:1:2::",
            "2001:db8:1:2:ffff:ffff:ffff:ffff, 2001:db8:1:2::",
            "2001:db8:1:3::1,           2001:db8:1:3::",
            "::1,                       ::",
    })
    void ipv4CountsByItselfAndIpv6ByItsSlash64(String address, String countedAs) throws Exception {
        assertThat(ClientAddresses.countedAs(InetAddress.getByName(address))).isEqualTo(InetAddress.getByName(countedAs));
    }
}
