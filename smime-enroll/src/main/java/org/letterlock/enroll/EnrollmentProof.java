package org.letterlock.enroll;

/**
 * How a protocol established that its client holds {@code mailbox}: the method (an enrollment secret over EST or
 * CMP, an RFC 8823 challenge reply, a current certificate over TLS) and a reference to the proof (the secret's id,
 * the ACME authorization, the certificate's serial). It names the requester in the CA's audit records.
 */
public record EnrollmentProof(String mailbox, String method, String reference) {
    /** Names the proven holder and the proof in the audit records of the rest of the request, instead of the client's address. */
    public void actAs() {
        org.letterlock.platform.audit.Actor.set(mailbox + " enroll/" + method + "/" + reference);
    }
}
