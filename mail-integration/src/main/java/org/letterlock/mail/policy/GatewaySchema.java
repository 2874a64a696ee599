package org.letterlock.mail.policy;

import org.letterlock.platform.store.SchemaModule;

/** The gateway's tables: recipient policies and sealed passphrases. The queue itself lives in the spool folder. */
public final class GatewaySchema implements SchemaModule {

    @Override
    public String name() {
        return "gateway";
    }

    @Override
    public int order() {
        return 50;
    }
}
