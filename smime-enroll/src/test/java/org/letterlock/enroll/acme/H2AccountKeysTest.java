package org.letterlock.enroll.acme;

import java.util.Map;

class H2AccountKeysTest extends AccountKeysConformance {
    @Override
    protected Map<String, String> database() {
        return Map.of();
    }
}
