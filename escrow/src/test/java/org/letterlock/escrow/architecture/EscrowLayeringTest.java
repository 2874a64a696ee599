package org.letterlock.escrow.architecture;

import org.letterlock.platform.architecture.LayeringConformance;

class EscrowLayeringTest extends LayeringConformance {
    @Override
    protected String module() {
        return "escrow";
    }
}
