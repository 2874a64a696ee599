package org.letterlock.keyserver.web;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import org.letterlock.platform.error.LetterlockException;

/** HKP at {@code /pks} on the HTTP port, answering as the dedicated listener does. */
@WebServlet(urlPatterns = "/pks/*")
public class HkpServlet extends HttpServlet {
    @Inject
    KeyserverRuntime runtime;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HkpProtocol.Answer answer;
        try (InputStream in = request.getInputStream()) {
            byte[] body = runtime.hkp().readBody(in);
            answer = runtime.hkp().handle(request.getMethod(), request.getRequestURI().substring(request.getContextPath().length()), request.getQueryString(),
                    request.getContentType(), body, request.getRemoteAddr());
        } catch (LetterlockException e) {
            answer = HkpProtocol.Answer.text(e.type().status(), e.getMessage());
        }
        send(response, answer);
    }

    static void send(HttpServletResponse response, HkpProtocol.Answer answer) throws IOException {
        response.setStatus(answer.status());
        response.setContentType(answer.contentType());
        response.setContentLength(answer.body().length);
        response.getOutputStream().write(answer.body());
    }
}
