package org.letterlock.keyserver;

import org.letterlock.platform.store.SchemaModule;

/** The keyserver's tables: keys with their full and published forms, user IDs, verification tokens. */
public final class KeyserverSchema implements SchemaModule {

    @Override
    public String name() {
        return "keyserver";
    }

    @Override
    public int order() {
        return 30;
    }
}
