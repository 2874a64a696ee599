package org.letterlock.platform.audit;

/** What became of an audited action: done, refused by a rule (authentication, role, policy), or failed while being done. */
public enum Outcome {
    ALLOWED,
    DENIED,
    FAILED
}
