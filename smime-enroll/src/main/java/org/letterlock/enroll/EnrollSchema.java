package org.letterlock.enroll;

import org.letterlock.platform.store.SchemaModule;

/** Enrollment's tables: enrollment secrets (and the protocols' own state, each in its own migration). */
public final class EnrollSchema implements SchemaModule {

    @Override
    public String name() {
        return "enroll";
    }

    @Override
    public int order() {
        return 60;
    }
}
