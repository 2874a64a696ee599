package org.letterlock.enroll;

import java.util.Map;

class H2EnrollmentSecretsTest extends EnrollmentSecretsConformance {
    @Override
    protected Map<String, String> database() {
        return Map.of();
    }
}
