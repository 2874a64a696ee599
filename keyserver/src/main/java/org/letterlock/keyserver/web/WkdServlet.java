package org.letterlock.keyserver.web;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.letterlock.keyserver.StoredKey;
import org.letterlock.platform.error.LetterlockException;

/**
 * The Web Key Directory (draft-koch-openpgp-webkey-service): the advanced method
 * {@code /.well-known/openpgpkey/<domain>/hu/<hash>} and the direct method {@code /.well-known/openpgpkey/hu/<hash>}
 * (domain from the Host header), each with its {@code policy} file; binary keys, published user IDs only.
 */
@WebServlet(urlPatterns = "/.well-known/openpgpkey/*")
public class WkdServlet extends HttpServlet {
    private static final Pattern ADVANCED = Pattern.compile("/([a-z0-9.-]+)/hu/([a-z0-9]+)");
    private static final Pattern DIRECT = Pattern.compile("/hu/([a-z0-9]+)");
    private static final Pattern POLICY = Pattern.compile("(/[a-z0-9.-]+)?/policy");

    @Inject
    KeyserverRuntime runtime;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo().toLowerCase(Locale.ROOT);
        if (POLICY.matcher(path).matches()) {
            text(response, 200, "# Letterlock keyserver: keys are published after their mailbox confirmed them.\n");
            return;
        }
        Matcher advanced = ADVANCED.matcher(path);
        Matcher direct = DIRECT.matcher(path);
        String domain;
        String hash;
        if (advanced.matches()) {
            domain = advanced.group(1);
            hash = advanced.group(2);
        } else if (direct.matches()) {
            domain = request.getServerName().toLowerCase(Locale.ROOT);
            hash = direct.group(1);
        } else {
            text(response, 404, "WKD serves /.well-known/openpgpkey/<domain>/hu/<hash>, /.well-known/openpgpkey/hu/<hash> and policy\n");
            return;
        }
        List<StoredKey> keys;
        try {
            keys = runtime.keyserver().byWkd(domain, hash);
        } catch (LetterlockException e) {
            text(response, e.type().status(), e.getMessage() + "\n");
            return;
        }
        if (keys.isEmpty()) {
            text(response, 404, "no key published for this mailbox\n");
            return;
        }
        response.setStatus(200);
        response.setContentType("application/octet-stream");
        response.setHeader("Access-Control-Allow-Origin", "*");
        for (StoredKey key : keys) {
            response.getOutputStream().write(key.publishedKey());
        }
    }

    private static void text(HttpServletResponse response, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain; charset=utf-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
