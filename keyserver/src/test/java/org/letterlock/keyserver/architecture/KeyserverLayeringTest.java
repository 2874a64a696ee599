package org.letterlock.keyserver.architecture;

import org.letterlock.platform.architecture.LayeringConformance;

class KeyserverLayeringTest extends LayeringConformance {
    @Override
    protected String module() {
        return "keyserver";
    }
}
