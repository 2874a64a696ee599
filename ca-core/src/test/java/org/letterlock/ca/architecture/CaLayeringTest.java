package org.letterlock.ca.architecture;

import org.letterlock.platform.architecture.LayeringConformance;

class CaLayeringTest extends LayeringConformance {
    @Override
    protected String module() {
        return "ca";
    }
}
