package org.letterlock.enroll.cmp;

import java.util.Map;

class H2CmpConfirmationTest extends CmpConfirmationConformance {
    @Override
    protected Map<String, String> database() {
        return Map.of();
    }
}
