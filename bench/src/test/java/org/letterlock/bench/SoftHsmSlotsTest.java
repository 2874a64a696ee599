package org.letterlock.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SoftHsmSlotsTest {

    static final String SHOW_SLOTS = """
            Available slots:
            Slot 1302647155
                Slot info:
                    Description:      SoftHSM slot ID 0x4da4d173
                    Token present:    yes
                Token info:
                    Serial number:    cdbbbad34da4d173
                    Initialized:      yes
                    Label:            letterlock-test
            Slot 4138742264
                Slot info:
                    Description:      SoftHSM slot ID 0xf6b0e2f8
                Token info:
                    Initialized:      yes
                    Label:            letterlock-bench
            Slot 2
                Slot info:
                    Description:      SoftHSM slot ID 0x2
                Token info:
                    Initialized:      no
                    Label:
            """;

    @Test
    void findsTheSlotOfALabelIncludingUnsignedIds() {
        assertThat(SoftHsmSlots.parse(SHOW_SLOTS, "letterlock-test")).hasValue(1302647155L);
        assertThat(SoftHsmSlots.parse(SHOW_SLOTS, "letterlock-bench")).hasValue(4138742264L);
    }

    @Test
    void matchesWholeLabelsOnly() {
        assertThat(SoftHsmSlots.parse(SHOW_SLOTS, "letterlock")).isEmpty();
        assertThat(SoftHsmSlots.parse(SHOW_SLOTS, "")).isEmpty();
    }
}
