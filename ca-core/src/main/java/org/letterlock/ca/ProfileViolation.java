package org.letterlock.ca;

import java.util.List;

/** A certificate about to be signed broke its profile: a bug in Letterlock, refused before the issuing key was used. */
public class ProfileViolation extends RuntimeException {
    private final List<String> violations;

    public ProfileViolation(CertificateProfile profile, List<String> violations) {
        super("certificate refused before signing, it breaks profile " + profile.id() + ": " + String.join("; ", violations));
        this.violations = List.copyOf(violations);
    }

    public List<String> violations() {
        return violations;
    }
}
