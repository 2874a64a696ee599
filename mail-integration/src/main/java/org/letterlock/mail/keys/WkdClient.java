package org.letterlock.mail.keys;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.letterlock.keyserver.Wkd;
import org.letterlock.platform.error.LetterlockException;

/**
 * A Web Key Directory client (draft-koch-openpgp-webkey-service, section 3.1). The advanced method
 * ({@code https://openpgpkey.<domain>/.well-known/openpgpkey/<domain>/hu/<hash>?l=<local>}) is used when the
 * {@code openpgpkey} sub-domain has an address; only where it has none, the direct method
 * ({@code https://<domain>/.well-known/openpgpkey/hu/<hash>?l=<local>}), as the draft says and GnuPG does: a domain
 * that set up the advanced method and fails there is failing, not telling us to look elsewhere. HTTPS only, the
 * server's certificate checked by the {@link PeerHttp} it is given; the answer must be a binary key (the draft
 * forbids armor), and only keys with a valid user ID for the address are kept.
 */
public final class WkdClient implements KeySource {
    private final PeerHttp http;
    private final Clock clock;

    public WkdClient(PeerHttp http, Clock clock) {
        this.http = http;
        this.clock = clock;
    }

    @Override
    public Source source() {
        return Source.WKD;
    }

    /** @param address normalised (lower case, as {@code MailAddress.normalise} gives it) */
    @Override
    public Lookup lookup(String address) {
        int at = address.lastIndexOf('@');
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        String hashPath = "hu/" + Wkd.hash(local) + "?l=" + URLEncoder.encode(local, StandardCharsets.UTF_8);
        String advancedHost = "openpgpkey." + domain;
        URI url = http.hasAddress(advancedHost)
                ? URI.create("https://" + advancedHost + "/.well-known/openpgpkey/" + domain + "/" + hashPath)
                : URI.create("https://" + domain + "/.well-known/openpgpkey/" + hashPath);
        PeerHttp.Answer answer;
        try {
            answer = http.get(url, "application/octet-stream");
        } catch (LetterlockException e) {
            return Lookup.failed(source(), url.toString(), clock.instant(), e);
        }
        // A binary OpenPGP packet starts with its tag's high bit set; armor starts with '-'.
        if (answer.status() == 200 && answer.body().length > 0 && (answer.body()[0] & 0x80) == 0) {
            return Lookup.noKey(source(), url.toString(), clock.instant(), "not a binary OpenPGP key (WKD serves no armor)");
        }
        return KeysForAddress.lookup(source(), url, answer, address, clock.instant());
    }
}
