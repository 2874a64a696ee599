package org.letterlock.mail.policy;

import org.letterlock.platform.store.SchemaModule;

/** The gateway's tables: recipient policies, sealed passphrases and S/MIME capabilities learned from signed mail. The queue itself lives in the spool folder. */
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
