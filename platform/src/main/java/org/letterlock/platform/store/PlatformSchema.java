package org.letterlock.platform.store;

/** The platform's tables: audit log, identities, verification tokens, administrator accounts. */
public final class PlatformSchema implements SchemaModule {

    @Override
    public String name() {
        return "platform";
    }

    @Override
    public int order() {
        return 0;
    }
}
