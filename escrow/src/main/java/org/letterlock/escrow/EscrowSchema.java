package org.letterlock.escrow;

import org.letterlock.platform.store.SchemaModule;

/** Escrow's tables: recovery keys, sealed key archives, recovery requests and their approvals. */
public final class EscrowSchema implements SchemaModule {

    @Override
    public String name() {
        return "escrow";
    }

    @Override
    public int order() {
        return 20;
    }
}
