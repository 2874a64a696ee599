package org.letterlock.ca;

import org.letterlock.platform.store.SchemaModule;

/** The CA's tables: issuers, certificates, mailbox pairs, CRLs. They reference nothing of the platform's. */
public final class CaSchema implements SchemaModule {

    @Override
    public String name() {
        return "ca";
    }

    @Override
    public int order() {
        return 10;
    }
}
