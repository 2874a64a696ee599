package org.letterlock.ca;

import java.util.List;

/** What the keyserver may read of the CA: the certificates other mail systems should find for a mailbox. */
public interface PublishedCertificates {

    /**
     * The mailbox's S/MIME certificates that are valid now (unrevoked, unexpired; signing, encryption and multipurpose),
     * newest first, if the mailbox is a verified identity; none otherwise.
     */
    List<IssuedCertificate> publishedFor(String mailbox);
}
