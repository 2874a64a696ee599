package org.letterlock.mail.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.letterlock.platform.config.LetterlockConfig;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.platform.runtime.Letterlock;
import org.letterlock.platform.store.MovableClock;
import org.letterlock.mail.smime.SmimeCapabilities;

/**
 * Recipient rules, sealed passphrases and learned S/MIME capabilities on one database back-end: the most specific level wins, changes reach
 * another node within the refresh, bad values are refused, a sealed passphrase opens only in its own row. The vault
 * is a real SoftHSM2 token.
 */
abstract class PolicyConformance {
    static final Path TOKEN_DATA = Path.of(System.getProperty("letterlock.test.softhsm-data", "target/softhsm-data")).toAbsolutePath();

    @TempDir
    Path dataDir;

    protected final MovableClock clock = new MovableClock();
    private Letterlock platform;
    private PolicyBook policies;
    private PassphraseBook passphrases;

    protected abstract Map<String, String> database(Path dataDir);

    @BeforeEach
    void start() {
        Map<String, String> settings = new HashMap<>(database(dataDir));
        settings.put("letterlock.data-dir", TOKEN_DATA.toString());
        settings.put("letterlock.vault.type", "pkcs11");
        settings.put("letterlock.ca.url", "http://ca.example.org");
        platform = Letterlock.start(LetterlockConfig.load(key -> Optional.ofNullable(settings.get(key))), clock);
        policies = new PolicyBook(platform.database().dataSource(), platform.auditLog(), clock);
        passphrases = new PassphraseBook(platform.database().dataSource(), platform.vault(), platform.config().vault().tokenLabel(), platform.auditLog(), clock);
    }

    @AfterEach
    void stop() {
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void withoutRulesTheBuiltInDefaultEncryptsWhenItCanAndSendsTheRestInClear() {
        RecipientRule rule = policies.ruleFor("bob@example.org");
        assertThat(rule.scope()).isEqualTo("*");
        assertThat(rule.encryption()).isEqualTo(RecipientRule.Encryption.ANY);
        assertThat(rule.withoutKey()).isEqualTo(RecipientRule.WithoutKey.CLEAR);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"bob@example.org, bob@example.org", "Carol@Example.ORG, example.org", "dave@sub.example.org, *", "erin@other.test, *"})
    void theMostSpecificLevelWins(String recipient, String expectedScope) {
        policies.set("*", "any", "hold", "cms", false, null, "admin");
        policies.set("example.org", "smime", "reject", "cms", false, null, "admin");
        policies.set("bob@example.org", "password", "password", "openpgp", false, null, "admin");

        assertThat(policies.ruleFor(recipient).scope()).isEqualTo(expectedScope);
    }

    @Test
    void externalSourcesAreReadBackAndUnknownOnesRefused() {
        policies.set("partner.test", "any", "hold", null, false, "partner-ldap,wkd", "admin");
        assertThat(policies.ruleFor("x@partner.test").externalSources()).containsExactlyInAnyOrder(org.letterlock.mail.keys.Source.PARTNER_LDAP,
                org.letterlock.mail.keys.Source.WKD);
        assertThatThrownBy(() -> policies.set("partner.test", "any", "hold", null, false, "dns", "admin")).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.getMessage()).contains("externalSources"));
    }

    @Test
    void aRuleIsReplacedAndRemovedAndTheAuditLogSaysBy() {
        policies.set("example.org", "smime", "hold", null, false, null, "rita");
        RecipientRule replaced = policies.set("example.org", "pgp", null, null, true, "hkp, WKD", "admin");
        assertThat(replaced.externalSources()).containsExactlyInAnyOrder(org.letterlock.mail.keys.Source.HKP, org.letterlock.mail.keys.Source.WKD);
        assertThat(replaced.encryption()).isEqualTo(RecipientRule.Encryption.PGP);
        assertThat(replaced.withoutKey()).isEqualTo(RecipientRule.WithoutKey.CLEAR);
        assertThat(policies.ruleFor("x@example.org").sign()).isTrue();
        assertThat(policies.list()).extracting(RecipientRule::scope).containsExactly("example.org");

        assertThat(policies.remove("EXAMPLE.org")).isTrue();
        assertThat(policies.remove("example.org")).isFalse();
        assertThat(policies.ruleFor("x@example.org").scope()).isEqualTo("*");
        assertThat(platform.auditLog().read(0, 1000)).filteredOn(r -> r.event().target().equals("policy:example.org")).extracting(r -> r.event().action() + " by " + r.event().actor())
                .containsExactly("gateway.policy.set by system", "gateway.policy.set by system", "gateway.policy.remove by system");
    }

    @Test
    void anotherNodeSeesAChangeWithinTheRefresh() {
        PolicyBook otherNode = new PolicyBook(platform.database().dataSource(), platform.auditLog(), clock);
        assertThat(otherNode.ruleFor("x@example.org").scope()).isEqualTo("*");

        policies.set("example.org", "none", "clear", "cms", false, null, "admin");

        assertThat(otherNode.ruleFor("x@example.org").scope()).as("still the snapshot it read").isEqualTo("*");
        clock.advance(PolicyBook.REFRESH.plus(Duration.ofSeconds(1)));
        assertThat(otherNode.ruleFor("x@example.org").scope()).isEqualTo("example.org");
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @CsvSource({"'', any, clear, cms, scope", "bob@@example.org, any, clear, cms, mailbox", "example.org, maybe, clear, cms, encryption",
            "example.org, any, drop, cms, withoutKey", "example.org, any, clear, zip, passwordFormat", "[192.0.2.1], any, clear, cms, scope"})
    void badValuesAreRefusedByName(String scope, String encryption, String withoutKey, String format, String named) {
        assertThatThrownBy(() -> policies.set(scope, encryption, withoutKey, format, false, null, "admin")).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            assertThat(e.getMessage()).contains(named);
        });
        assertThat(policies.list()).isEmpty();
    }

    @Test
    void aSendersOwnPassphraseWinsOverTheDomainsAndTheOrganisations() {
        passphrases.set("*", "partner.test", "organisation-wide".toCharArray(), "admin");
        passphrases.set("alice@example.org", "partner.test", "alice for the domain".toCharArray(), "alice");
        passphrases.set("alice@example.org", "ceo@partner.test", "alice for the ceo".toCharArray(), "alice");

        assertThat(passphrases.find("alice@example.org", "ceo@partner.test")).hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("alice for the ceo"));
        assertThat(passphrases.find("alice@example.org", "cfo@partner.test")).hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("alice for the domain"));
        assertThat(passphrases.find("bob@example.org", "cfo@partner.test")).hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("organisation-wide"));
        assertThat(passphrases.find("bob@example.org", "x@elsewhere.test")).isEmpty();

        assertThat(passphrases.remove("alice@example.org", "ceo@partner.test")).isTrue();
        assertThat(passphrases.find("alice@example.org", "ceo@partner.test")).hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("alice for the domain"));
    }

    @Test
    void theDatabaseHoldsNoPassphraseAndASealedValueMovedToAnotherRowDoesNotOpen() throws Exception {
        passphrases.set("alice@example.org", "partner.test", "correct horse battery".toCharArray(), "alice");
        passphrases.set("bob@example.org", "partner.test", "another passphrase".toCharArray(), "bob");
        try (var connection = platform.database().dataSource().getConnection(); var statement = connection.createStatement()) {
            try (var rows = statement.executeQuery("SELECT sealed FROM gateway_passphrase")) {
                while (rows.next()) {
                    assertThat(new String(rows.getBytes(1), java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("horse", "another");
                }
            }
            statement.executeUpdate("UPDATE gateway_passphrase SET sealed = (SELECT sealed FROM gateway_passphrase WHERE sender = 'alice@example.org') "
                    + "WHERE sender = 'bob@example.org'");
        }

        assertThatThrownBy(() -> passphrases.find("bob@example.org", "x@partner.test")).isInstanceOfSatisfying(LetterlockException.class,
                e -> assertThat(e.type()).isEqualTo(ErrorType.CONFLICT));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"alice@example.org | partner.test | short | at least 8", "* | * | long enough | not for everyone",
            "not-an-address | partner.test | long enough | sender"})
    void badPassphrasesAreRefused(String sender, String recipient, String passphrase, String message) {
        assertThatThrownBy(() -> passphrases.set(sender, recipient, passphrase.toCharArray(), "x")).isInstanceOfSatisfying(LetterlockException.class, e -> {
            assertThat(e.type()).isEqualTo(ErrorType.BAD_REQUEST);
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void learnedCapabilitiesAreReplacedOnlyByANewerSigningTimePerAddressAndIssuer() {
        CapabilityStore store = new CapabilityStore(platform.database().dataSource());
        String issuer = "CN=Letterlock Issuing CA,O=Letterlock";
        Instant signed = Instant.parse("2026-11-01T10:00:00Z");
        SmimeCapabilities gcm = new SmimeCapabilities(List.of(NISTObjectIdentifiers.id_aes256_GCM, PKCSObjectIdentifiers.id_RSAES_OAEP));
        SmimeCapabilities cbc = new SmimeCapabilities(List.of(NISTObjectIdentifiers.id_aes128_CBC));
        assertThat(store.find("bob@example.org", issuer)).isEmpty();

        assertThat(store.record("Bob@Example.org", issuer, gcm, signed, "aa", clock.instant())).isTrue();
        assertThat(store.record("bob@example.org", issuer, cbc, signed.minusSeconds(1), "bb", clock.instant())).as("older").isFalse();
        assertThat(store.record("bob@example.org", issuer, cbc, signed, "bb", clock.instant())).as("as old").isFalse();
        assertThat(store.find("bob@example.org", issuer)).contains(new CapabilityStore.Learned(gcm, signed));
        assertThat(store.find("bob@example.org", "CN=Partner CA")).as("another issuer's certificates").isEmpty();

        assertThat(store.record("bob@example.org", issuer, cbc, signed.plusSeconds(1), "bb", clock.instant())).as("newer").isTrue();
        assertThat(store.find("BOB@example.org", issuer)).contains(new CapabilityStore.Learned(cbc, signed.plusSeconds(1)));
    }
    /** Two nodes learn bob's first capabilities at once: both UPDATEs match nothing, the other node's INSERT lands first. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"ours newer, 1, true", "ours older, -1, false", "same time, 0, false"})
    void aConcurrentFirstRecordKeepsTheNewerOne(String name, long oursLaterBySeconds, boolean oursKept) {
        String issuer = "CN=Letterlock Issuing CA,O=Letterlock";
        Instant theirsSigned = Instant.parse("2026-11-01T10:00:00Z");
        Instant oursSigned = theirsSigned.plusSeconds(oursLaterBySeconds);
        SmimeCapabilities theirs = new SmimeCapabilities(List.of(NISTObjectIdentifiers.id_aes128_CBC));
        SmimeCapabilities ours = new SmimeCapabilities(List.of(NISTObjectIdentifiers.id_aes256_GCM));
        DataSource shared = platform.database().dataSource();
        CapabilityStore otherNode = new CapabilityStore(shared);
        CapabilityStore store = new CapabilityStore(beforeFirstInsert(shared, () -> assertThat(otherNode.record("bob@example.org", issuer, theirs, theirsSigned, "bb",
                clock.instant())).isTrue()));

        assertThat(store.record("bob@example.org", issuer, ours, oursSigned, "aa", clock.instant())).isEqualTo(oursKept);

        assertThat(store.find("bob@example.org", issuer)).contains(oursKept ? new CapabilityStore.Learned(ours, oursSigned)
                : new CapabilityStore.Learned(theirs, theirsSigned));
    }

    /** The data source, except that {@code competitor} runs once, just before the first INSERT into the capability table. */
    private static DataSource beforeFirstInsert(DataSource dataSource, Runnable competitor) {
        AtomicBoolean ran = new AtomicBoolean();
        InvocationHandler connections = (proxy, method, args) -> {
            Object result = invoke(dataSource, method, args);
            if (!(result instanceof Connection connection)) {
                return result;
            }
            return Proxy.newProxyInstance(PolicyConformance.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, m, a) -> {
                if (m.getName().equals("prepareStatement") && a[0].toString().startsWith("INSERT INTO gateway_smime_capabilities") && ran.compareAndSet(false, true)) {
                    competitor.run();
                }
                return invoke(connection, m, a);
            });
        };
        return (DataSource) Proxy.newProxyInstance(PolicyConformance.class.getClassLoader(), new Class<?>[] {DataSource.class}, connections);
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
