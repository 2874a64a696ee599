package org.letterlock.enroll.acme;

import java.util.Map;

class H2AcmeOrderStatesTest extends AcmeOrderStatesConformance {
    @Override
    protected Map<String, String> database() {
        return Map.of();
    }
}
