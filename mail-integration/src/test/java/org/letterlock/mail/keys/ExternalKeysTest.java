package org.letterlock.mail.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.letterlock.platform.store.MovableClock;

/**
 * The entry point's rules, on scripted sources and a clock the test moves: the order sources are asked in, the first
 * key found ending the search, a temporary failure kept apart from "no key", nothing thrown for a failing source, and
 * the cache's lifetimes per outcome, its bound, and its refusal to hand out a key that expired while cached.
 */
class ExternalKeysTest {
    private static final LookupCache.Lifetimes LIFETIMES = new LookupCache.Lifetimes(Duration.ofHours(1), Duration.ofMinutes(10), Duration.ofMinutes(1), 100);
    private static final String ADDRESS = "alice@example.org";

    private final MovableClock clock = new MovableClock();

    /** A source that answers as scripted and counts the questions. */
    private final class Scripted implements KeySource {
        private final Source source;
        private final Function<String, Lookup> answer;
        private final Set<String> domains;
        final List<String> asked = new ArrayList<>();

        Scripted(Source source, Function<String, Lookup> answer, Set<String> domains) {
            this.source = source;
            this.answer = answer;
            this.domains = domains;
        }

        @Override
        public Source source() {
            return source;
        }

        @Override
        public boolean covers(String address) {
            return domains.isEmpty() || domains.contains(address.substring(address.indexOf('@') + 1));
        }

        @Override
        public Lookup lookup(String address) {
            asked.add(address);
            return answer.apply(address);
        }
    }

    /** A source answering {@code outcome}; one that finds keys hands out only certificates valid at the time, as the real ones do. */
    private Scripted answering(Source source, Outcome outcome, X509Certificate... certificates) {
        return new Scripted(source, address -> {
            List<X509Certificate> valid = Stream.of(certificates).filter(c -> Lookup.validAt(c, clock.instant())).toList();
            Outcome answered = outcome == Outcome.FOUND && valid.isEmpty() ? Outcome.NO_KEY : outcome;
            return new Lookup(source, answered, "https://" + source + ".example/" + address, clock.instant(), answered == Outcome.FOUND ? valid : List.of(),
                    List.of(), answered.name());
        }, Set.of());
    }

    private static X509Certificate certificate(Instant notAfter) {
        try {
            return new TestPki("Cache Test CA").mailbox(ADDRESS, notAfter);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> orders() {
        return Stream.of(
                Arguments.of("first-found-ends-the-search", List.of(Outcome.TEMPORARY_FAILURE, Outcome.FOUND, Outcome.FOUND), EnumSet.allOf(Source.class),
                        Outcome.FOUND, List.of(Source.PARTNER_LDAP, Source.WKD)),
                Arguments.of("a-source-that-could-not-tell-means-temporary", List.of(Outcome.NO_KEY, Outcome.TEMPORARY_FAILURE, Outcome.NO_KEY),
                        EnumSet.allOf(Source.class), Outcome.TEMPORARY_FAILURE, List.of(Source.PARTNER_LDAP, Source.WKD, Source.HKP)),
                Arguments.of("all-answered-none-found", List.of(Outcome.NO_KEY, Outcome.NO_KEY, Outcome.NO_KEY), EnumSet.allOf(Source.class), Outcome.NO_KEY,
                        List.of(Source.PARTNER_LDAP, Source.WKD, Source.HKP)),
                Arguments.of("only-allowed-sources-are-asked", List.of(Outcome.FOUND, Outcome.TEMPORARY_FAILURE, Outcome.NO_KEY), EnumSet.of(Source.HKP),
                        Outcome.NO_KEY, List.of(Source.HKP)),
                Arguments.of("nothing-allowed", List.of(Outcome.FOUND, Outcome.FOUND, Outcome.FOUND), EnumSet.noneOf(Source.class), Outcome.NO_KEY, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("orders")
    void asksAllowedSourcesInOrderUntilOneFindsAKey(String name, List<Outcome> answers, Set<Source> allowed, Outcome outcome, List<Source> asked) {
        X509Certificate valid = certificate(clock.instant().plus(Duration.ofDays(30)));
        List<KeySource> sources = List.of(answering(Source.PARTNER_LDAP, answers.get(0), valid), answering(Source.WKD, answers.get(1), valid),
                answering(Source.HKP, answers.get(2), valid));

        Resolution resolution = new ExternalKeys(sources, new LookupCache(LIFETIMES), clock).resolve(ADDRESS, allowed);

        assertThat(resolution.outcome()).isEqualTo(outcome);
        assertThat(resolution.lookups()).extracting(Lookup::source).containsExactlyElementsOf(asked);
        assertThat(resolution.found().isPresent()).isEqualTo(outcome == Outcome.FOUND);
        assertThat(resolution.certificates()).hasSize(outcome == Outcome.FOUND ? 1 : 0);
    }

    @Test
    void aSourceNotCoveringTheDomainIsNotAsked() {
        Scripted partner = new Scripted(Source.PARTNER_LDAP, a -> Lookup.noKey(Source.PARTNER_LDAP, "", clock.instant(), "none"), Set.of("partner.example"));
        Scripted wkd = answering(Source.WKD, Outcome.NO_KEY);

        Resolution resolution = new ExternalKeys(List.of(partner, wkd), new LookupCache(LIFETIMES), clock).resolve(ADDRESS, EnumSet.allOf(Source.class));

        assertThat(partner.asked).isEmpty();
        assertThat(resolution.lookups()).extracting(Lookup::source).containsExactly(Source.WKD);
    }

    @Test
    void aSourceThatThrowsIsATemporaryFailureNotAnException() {
        Scripted broken = new Scripted(Source.WKD, a -> {
            throw new IllegalStateException("a bug");
        }, Set.of());

        Resolution resolution = new ExternalKeys(List.of(broken), new LookupCache(LIFETIMES), clock).resolve(ADDRESS, EnumSet.allOf(Source.class));

        assertThat(resolution.outcome()).isEqualTo(Outcome.TEMPORARY_FAILURE);
        assertThat(resolution.summary()).contains("internal error", "a bug");
    }

    @Test
    void anAddressThatIsNoPlainMailboxAsksNobody() {
        Scripted wkd = answering(Source.WKD, Outcome.FOUND);

        Resolution resolution = new ExternalKeys(List.of(wkd), new LookupCache(LIFETIMES), clock).resolve("\"a b\"@example.org", EnumSet.allOf(Source.class));

        assertThat(resolution.outcome()).isEqualTo(Outcome.NO_KEY);
        assertThat(resolution.lookups()).isEmpty();
        assertThat(wkd.asked).isEmpty();
    }

    @Test
    void addressesAreLookedUpNormalised() {
        Scripted wkd = answering(Source.WKD, Outcome.NO_KEY);
        ExternalKeys keys = new ExternalKeys(List.of(wkd), new LookupCache(LIFETIMES), clock);

        keys.resolve("Alice@EXAMPLE.org", EnumSet.allOf(Source.class));
        keys.resolve("alice@example.org", EnumSet.allOf(Source.class));

        assertThat(wkd.asked).containsExactly("alice@example.org");
    }

    /**
     * @param notAfter      for a found key: how long its certificate stays valid
     * @param steps         how far the clock moves before each resolution
     * @param askedAfterEach how many times the source was asked after each resolution
     */
    static Stream<Arguments> lifetimes() {
        Duration longValid = Duration.ofDays(30);
        return Stream.of(
                Arguments.of("found/kept-for-its-lifetime", Outcome.FOUND, longValid, List.of(Duration.ZERO, Duration.ofMinutes(59), Duration.ofMinutes(2)),
                        List.of(1, 1, 2)),
                Arguments.of("no-key/kept-for-its-shorter-lifetime", Outcome.NO_KEY, longValid,
                        List.of(Duration.ZERO, Duration.ofMinutes(9), Duration.ofMinutes(2)), List.of(1, 1, 2)),
                Arguments.of("temporary-failure/kept-briefly", Outcome.TEMPORARY_FAILURE, longValid,
                        List.of(Duration.ZERO, Duration.ofSeconds(50), Duration.ofSeconds(20)), List.of(1, 1, 2)),
                Arguments.of("found/not-handed-out-once-the-key-expired", Outcome.FOUND, Duration.ofMinutes(30),
                        List.of(Duration.ZERO, Duration.ofMinutes(20), Duration.ofMinutes(20)), List.of(1, 1, 2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lifetimes")
    void cachesEachOutcomeForItsLifetime(String name, Outcome outcome, Duration validFor, List<Duration> steps, List<Integer> askedAfterEach) {
        Scripted source = answering(Source.WKD, outcome, certificate(clock.instant().plus(validFor)));
        ExternalKeys keys = new ExternalKeys(List.of(source), new LookupCache(LIFETIMES), clock);
        Instant lastFetch = null;

        for (int i = 0; i < steps.size(); i++) {
            int askedBefore = source.asked.size();
            clock.advance(steps.get(i));
            Resolution resolution = keys.resolve(ADDRESS, EnumSet.allOf(Source.class));
            assertThat(source.asked).as("after step " + i).hasSize(askedAfterEach.get(i));
            lastFetch = source.asked.size() > askedBefore ? clock.instant() : lastFetch;
            assertThat(resolution.lookups()).singleElement().extracting(Lookup::fetchedAt).as("a cached lookup keeps when it was fetched").isEqualTo(lastFetch);
            assertThat(resolution.certificates()).allSatisfy(c -> assertThat(c.getNotAfter().toInstant()).isAfter(clock.instant()));
        }
    }

    @Test
    void theCacheIsBounded() {
        Scripted source = answering(Source.WKD, Outcome.NO_KEY);
        LookupCache cache = new LookupCache(new LookupCache.Lifetimes(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), 2));
        ExternalKeys keys = new ExternalKeys(List.of(source), cache, clock);

        for (String address : List.of("a@example.org", "b@example.org", "c@example.org", "a@example.org")) {
            keys.resolve(address, EnumSet.allOf(Source.class));
        }

        assertThat(cache.size()).isEqualTo(2);
        assertThat(source.asked).as("the least recently used went first").containsExactly("a@example.org", "b@example.org", "c@example.org", "a@example.org");
    }
}
