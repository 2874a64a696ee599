package org.letterlock.mail.policy;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.letterlock.mail.keys.Source;
import org.letterlock.mail.smtp.MailboxSyntax;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * What the gateway does for the recipients of one scope: the organisation ({@code *}), a domain, or a mailbox.
 *
 * @param encryption     which encryption the recipient gets
 * @param withoutKey     what happens when the encryption needs a key the recipient does not have
 * @param passwordFormat the format of passphrase-encrypted mail
 * @param sign           S/MIME copies are signed with the organisation's certificate, inside the encryption
 * @param externalSources where a key may be looked up outside Letterlock when it holds none
 */
public record RecipientRule(String scope, Encryption encryption, WithoutKey withoutKey, PasswordFormat passwordFormat, boolean sign,
                            Set<Source> externalSources, Instant updatedAt, String updatedBy) {

    public RecipientRule {
        externalSources = externalSources.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(externalSources));
    }
    public static final String ORGANISATION = "*";

    /** Until an admin sets one: encrypt to the recipient's key when there is one, else clear over the TLS the route requires. */
    public static RecipientRule organisationDefault() {
        return new RecipientRule(ORGANISATION, Encryption.ANY, WithoutKey.CLEAR, PasswordFormat.CMS, false, Set.of(), Instant.EPOCH, "built-in");
    }

    public enum Encryption {
        /** S/MIME to the recipient's certificate, else PGP/MIME to their OpenPGP key. */
        ANY,
        /** S/MIME only. */
        SMIME,
        /** PGP/MIME only. */
        PGP,
        /** Under the passphrase set for the recipient, keys or not. */
        PASSWORD,
        /** As it is, over the TLS the route requires. */
        NONE
    }

    public enum WithoutKey {
        /** As it is, over the TLS the route requires. */
        CLEAR,
        /** Under the passphrase set for the recipient (held if there is none). */
        PASSWORD,
        /** Kept in the queue; the sender is told; retried until a key or passphrase appears or the queue time runs out. */
        HOLD,
        /** Returned to the sender. */
        REJECT
    }

    public enum PasswordFormat {
        /** CMS password recipients (RFC 3211) in S/MIME: opened with {@code openssl cms -decrypt -pwri_password}. */
        CMS,
        /** OpenPGP SKESK v4 + SEIPD v1: opened with gpg, sq or rnp. */
        OPENPGP
    }

    /** Which level a scope is, for the decision's reason. */
    public String level() {
        return scope.equals(ORGANISATION) ? "organisation" : scope.contains("@") ? "mailbox" : "domain";
    }

    /** A scope as stored: {@code *}, a lower-case domain, or a mailbox with a lower-case domain; anything else is refused. */
    public static String scopeOf(String value) {
        String trimmed = value == null ? "" : value.trim();
        if (trimmed.equals(ORGANISATION)) {
            return ORGANISATION;
        }
        if (trimmed.contains("@")) {
            if (!MailboxSyntax.valid(trimmed)) {
                throw new LetterlockException(ErrorType.BAD_REQUEST, "'" + trimmed + "' is not a mailbox address");
            }
            return MailboxSyntax.normalized(trimmed);
        }
        String domain = trimmed.toLowerCase(Locale.ROOT);
        if (!MailboxSyntax.valid("x@" + domain) || domain.startsWith("[")) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "a scope is '*', a domain or a mailbox address; got '" + trimmed + "'");
        }
        return domain;
    }

    /** {@code partner-ldap,wkd,hkp} as stored and given in the API; blank for none. */
    static Set<Source> sources(String value) {
        Set<Source> sources = EnumSet.noneOf(Source.class);
        for (String name : (value == null ? "" : value).split(",")) {
            if (!name.isBlank()) {
                sources.add(parse(Source.class, name.trim().replace('-', '_'), "externalSources"));
            }
        }
        return sources;
    }

    public static String sourcesLabel(Set<Source> sources) {
        return sources.stream().sorted().map(RecipientRule::label).collect(java.util.stream.Collectors.joining(","));
    }

    /** A setting as the API and the database spell it: lower case, hyphens ({@code partner-ldap}). */
    public static String label(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static <E extends Enum<E>> E parse(Class<E> type, String value, String field) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, field + " must be one of " + java.util.Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList() + "; got '" + value + "'");
        }
    }
}
