package org.letterlock.mail.smime;

import org.bouncycastle.cms.RecipientInfoGenerator;

/** One recipient of an S/MIME encryption, checked when the encryption is made. */
interface Recipient {

    /** A generator for one message's RecipientInfo (an EC recipient gets a new ephemeral key with each). */
    RecipientInfoGenerator infoGenerator();
}
