package org.letterlock.mail.keys;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;

/**
 * Asks HKP keyservers (draft-gallagher-openpgp-hkp) for an address's keys: {@code GET
 * /pks/lookup?op=get&options=mr&search=<address>} on each configured keyserver in turn, until one has a key usable for
 * the address. Keyservers are named as gpg names them: {@code hkp://host[:port]} (plain HTTP, port 11371),
 * {@code hkps://host[:port]} (HTTPS, port 443), or an {@code http(s)://} URL. Many keyservers match a search loosely
 * (any key mentioning the text), so only keys with a valid user ID for exactly the address are kept.
 */
public final class HkpClient implements KeySource {
    private final PeerHttp http;
    private final List<URI> keyservers;
    private final Clock clock;

    /** @throws LetterlockException BAD_REQUEST for a keyserver URL that is not hkp, hkps, http or https with a host and no path */
    public HkpClient(PeerHttp http, List<URI> keyservers, Clock clock) {
        this.http = http;
        this.keyservers = keyservers.stream().map(HkpClient::httpBase).toList();
        this.clock = clock;
    }

    /** The keyserver's HTTP(S) root: HKP lives at {@code /pks} of it. */
    private static URI httpBase(URI keyserver) {
        String scheme = keyserver.getScheme() == null ? "" : keyserver.getScheme().toLowerCase(Locale.ROOT);
        boolean noPath = keyserver.getRawPath() == null || keyserver.getRawPath().isEmpty() || keyserver.getRawPath().equals("/");
        if (keyserver.getHost() == null || !noPath || keyserver.getRawQuery() != null) {
            throw new LetterlockException(ErrorType.BAD_REQUEST, "keyserver " + keyserver + " must be a host and port only, such as hkps://keys.example.org");
        }
        int port = keyserver.getPort();
        return switch (scheme) {
            case "hkp" -> URI.create("http://" + keyserver.getHost() + ":" + (port < 0 ? 11371 : port));
            case "hkps" -> URI.create("https://" + keyserver.getHost() + (port < 0 ? "" : ":" + port));
            case "http", "https" -> URI.create(scheme + "://" + keyserver.getHost() + (port < 0 ? "" : ":" + port));
            default -> throw new LetterlockException(ErrorType.BAD_REQUEST, "keyserver " + keyserver + " must be hkp://, hkps://, http:// or https://");
        };
    }

    @Override
    public Source source() {
        return Source.HKP;
    }

    /**
     * The first keyserver's answer with a usable key; else a temporary failure if any keyserver could not answer
     * (another one might have had the key); else no key. The detail names every keyserver asked.
     */
    @Override
    public Lookup lookup(String address) {
        List<Lookup> answers = new ArrayList<>();
        for (URI keyserver : keyservers) {
            URI url = URI.create(keyserver + "/pks/lookup?op=get&options=mr&search=" + URLEncoder.encode(address, StandardCharsets.UTF_8));
            Lookup answer;
            try {
                answer = KeysForAddress.lookup(source(), url, http.get(url, "application/pgp-keys"), address, clock.instant());
            } catch (LetterlockException e) {
                // An HKP server whose host has no address is misconfigured or its DNS is failing: either may mend.
                answer = e.type() == ErrorType.NOT_FOUND ? Lookup.temporaryFailure(source(), url.toString(), clock.instant(), e.getMessage())
                        : Lookup.failed(source(), url.toString(), clock.instant(), e);
            }
            if (answer.outcome() == Outcome.FOUND) {
                return answer;
            }
            answers.add(answer);
        }
        Outcome outcome = answers.stream().anyMatch(a -> a.outcome() == Outcome.TEMPORARY_FAILURE) ? Outcome.TEMPORARY_FAILURE : Outcome.NO_KEY;
        String detail = String.join("; ", answers.stream().map(a -> a.location() + ": " + a.outcome() + " " + a.detail()).toList());
        String last = answers.isEmpty() ? "" : answers.get(answers.size() - 1).location();
        return new Lookup(source(), outcome, last, clock.instant(), List.of(), List.of(), answers.isEmpty() ? "no keyserver configured" : detail);
    }
}
