package org.letterlock.ca.web;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.letterlock.ca.CertificateStore;
import org.letterlock.ca.Certificates;
import org.letterlock.ca.IssuerRecord;
import org.letterlock.platform.error.LetterlockException;

/**
 * What relying parties fetch without logging in, at the URLs written into certificates: CRLs at
 * {@code /crl/<issuer>.crl} and {@code /crl/<issuer>-delta.crl}, CA certificates at {@code /ca/<issuer>.crt}.
 * DER by default; PEM with {@code ?format=pem} or {@code Accept: application/x-pem-file}.
 */
@WebServlet(urlPatterns = {"/crl/*", "/ca/*"})
public class CrlServlet extends HttpServlet {
    private static final Pattern CRL = Pattern.compile("/crl/([a-z0-9-]{1,64}?)(-delta)?\\.crl");
    private static final Pattern CERTIFICATE = Pattern.compile("/ca/([a-z0-9-]{1,64})\\.(crt|cer|pem)");

    @Inject
    CaRuntime runtime;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        try {
            Matcher crl = CRL.matcher(path);
            if (crl.matches()) {
                Optional<CertificateStore.StoredCrl> stored = runtime.ca().crl(crl.group(1), crl.group(2) != null);
                if (stored.isEmpty()) {
                    notFound(response, "no CRL " + path + "; CRLs are at /crl/<issuer>.crl and /crl/<issuer>-delta.crl");
                    return;
                }
                response.setDateHeader("Last-Modified", stored.get().thisUpdate().toEpochMilli());
                response.setDateHeader("Expires", stored.get().nextUpdate().toEpochMilli());
                send(request, response, "application/pkix-crl", "X509 CRL", stored.get().der());
                return;
            }
            Matcher certificate = CERTIFICATE.matcher(path);
            if (certificate.matches()) {
                Optional<IssuerRecord> issuer = runtime.ca().issuer(certificate.group(1)).filter(i -> i.certificate().isPresent());
                if (issuer.isEmpty()) {
                    notFound(response, "no CA certificate " + path);
                    return;
                }
                boolean pem = certificate.group(2).equals("pem");
                send(response, "application/pkix-cert", "CERTIFICATE", issuer.get().requireCertificate().getEncoded(), pem);
                return;
            }
            notFound(response, "nothing at " + path + "; CRLs are at /crl/<issuer>.crl, CA certificates at /ca/<issuer>.crt");
        } catch (LetterlockException e) {
            response.setStatus(e.type().status());
            response.setContentType("text/plain;charset=UTF-8");
            response.getWriter().println(e.getMessage());
        }
    }

    private static void send(HttpServletRequest request, HttpServletResponse response, String type, String label, byte[] der) throws IOException {
        String accept = request.getHeader("Accept");
        boolean pem = "pem".equals(request.getParameter("format")) || accept != null && accept.contains("application/x-pem-file");
        send(response, type, label, der, pem);
    }

    private static void send(HttpServletResponse response, String type, String label, byte[] der, boolean pem) throws IOException {
        byte[] body = pem ? Certificates.pem(label, der).getBytes(StandardCharsets.US_ASCII) : der;
        response.setContentType(pem ? "application/x-pem-file" : type);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private static void notFound(HttpServletResponse response, String message) throws IOException {
        response.setStatus(HttpServletResponse.SC_NOT_FOUND);
        response.setContentType("text/plain;charset=UTF-8");
        response.getWriter().println(message);
    }
}
