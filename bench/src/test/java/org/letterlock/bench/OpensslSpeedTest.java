package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OpensslSpeedTest {

    // The tail of `openssl speed -seconds 1 ecdsap256 rsa3072` from OpenSSL 3.0.22.
    static final String ONE_PROCESS = """
            Doing 3072 bits private rsa's for 1s: 555 3072 bits private RSA's in 1.00s
            Doing 3072 bits public rsa's for 1s: 28403 3072 bits public RSA's in 1.00s
            Doing 256 bits sign ecdsa's for 1s: 51620 256 bits ECDSA signs in 0.97s
            Doing 256 bits verify ecdsa's for 1s: 19685 256 bits ECDSA verify in 1.00s
            version: 3.0.22
            built on: Wed Oct 21 09:54:24 2026 UTC
            options: bn(64,64)
            CPUINFO: OPENSSL_ia32cap=0xfed83203178bffff:0x18005f42f1bb03a9
                              sign    verify    sign/s verify/s
            rsa 3072 bits 0.001802s 0.000035s    555.0  28403.0
                                          sign    verify    sign/s verify/s
             256 bits ecdsa (nistp256)   0.0000s   0.0001s  53216.5  19685.0
            """;

    // The tail of `openssl speed -multi 2 -seconds 1 ecdsap256 rsa3072`.
    static final String TWO_PROCESSES = """
            +R6:19655:256:1.00
            Forked child 1
            Got: +F2:3:3072:589.000000:29217.000000 from 0
            Got: +F4:3:256:50961.000000:19655.000000 from 0
            Got: +F2:3:3072:604.000000:29784.000000 from 1
            Got: +F4:3:256:51970.000000:20250.000000 from 1
            version: 3.0.22
                              sign    verify    sign/s verify/s
            rsa 3072 bits 0.000838s 0.000017s   1193.0  59001.0
                                          sign    verify    sign/s verify/s
             256 bits ecdsa (nistp256)   0.0000s   0.0000s 102931.0  39905.0
            """;

    @Test
    void readsSignPerSecondFromTheSummary() {
        assertThat(OpensslSpeed.parse(ONE_PROCESS)).containsExactly(
                org.assertj.core.api.Assertions.entry("rsa3072", 555.0),
                org.assertj.core.api.Assertions.entry("ecdsap256", 53216.5));
    }

    @Test
    void readsTheSummedFiguresOfMultipleProcesses() {
        assertThat(OpensslSpeed.parse(TWO_PROCESSES))
                .containsEntry("rsa3072", 1193.0)
                .containsEntry("ecdsap256", 102931.0);
    }

    @Test
    void ignoresProgressLinesAndFindsNothingInUnrelatedOutput() {
        assertThat(OpensslSpeed.parse("Doing 3072 bits private rsa's for 1s: 555 3072 bits private RSA's in 1.00s\n")).isEmpty();
    }

    @Test
    void addsMultiOnlyForMoreThanOneProcess() {
        assertThat(OpensslSpeed.command(1, 5, List.of("ecdsap256", "rsa3072")))
                .containsExactly("openssl", "speed", "-seconds", "5", "ecdsap256", "rsa3072");
        assertThat(OpensslSpeed.command(2, 5, List.of("ecdsap256")))
                .containsExactly("openssl", "speed", "-multi", "2", "-seconds", "5", "ecdsap256");
    }
}
