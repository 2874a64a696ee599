package org.letterlock.platform.web;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.ext.Provider;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.letterlock.platform.audit.Actor;
import org.letterlock.platform.audit.Outcome;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.identity.AdminAccount;
import org.letterlock.platform.identity.Role;

/**
 * HTTP Basic authentication of administrators and the role check of every resource method. A method without
 * {@link Allow} or {@link Public} is refused: new endpoints are closed until someone opens them.
 * Refusals are audited; so are an administrator's reads, and state-changing requests that fail (successful changes
 * are audited by the domain code that makes them). A state-changing request whose {@code Origin} is another site is
 * refused: browsers resend cached Basic credentials with cross-site form posts.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class AdminAuthentication implements ContainerRequestFilter, ContainerResponseFilter {
    private static final String DENIED_PROPERTY = "letterlock.denied";

    @Context
    ResourceInfo resource;

    @Inject
    PlatformRuntime runtime;

    @Inject
    CredentialCache credentials;

    @Inject
    FailedLogins failedLogins;

    @Context
    jakarta.servlet.http.HttpServletRequest servletRequest;

    @Override
    public void filter(ContainerRequestContext request) {
        Actor.set("anonymous");
        Method method = resource.getResourceMethod();
        if (method == null) {
            return;
        }
        if (changesState(request) && crossSite(request)) {
            deny(request, "anonymous", action(request), ErrorType.FORBIDDEN, "cross-site request refused (Origin " + request.getHeaderString("Origin") + ")");
            return;
        }
        if (isPublic(method)) {
            return;
        }
        Allow allowed = Optional.ofNullable(method.getAnnotation(Allow.class)).orElse(method.getDeclaringClass().getAnnotation(Allow.class));
        if (allowed == null) {
            deny(request, "anonymous", action(request), ErrorType.FORBIDDEN, "this endpoint is not open to any role");
            return;
        }
        String client = servletRequest == null ? "unknown" : servletRequest.getRemoteAddr();
        Optional<BasicCredentials> given = BasicCredentials.of(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        String printableName = given.map(BasicCredentials::printableName).orElse("");
        String tried = given.isPresent() ? "; as " + printableName : "";
        String attempt = client + " " + printableName;
        if (given.isPresent() && !failedLogins.allowed(attempt)) {
            deny(request, "anonymous", action(request), ErrorType.TOO_MANY_REQUESTS, "more than " + FailedLogins.LIMIT + " failed logins for this name from "
                    + client + " within " + FailedLogins.WINDOW.toMinutes() + " minutes; try again later", tried);
            return;
        }
        Optional<AdminAccount> account = given.flatMap(c -> credentials.authenticate(runtime.platform().admins(), c.name(), c.password()));
        if (account.isEmpty()) {
            if (given.isPresent()) {
                failedLogins.failed(attempt);
            }
            deny(request, "anonymous", action(request), ErrorType.UNAUTHORIZED, "log in with HTTP Basic as an administrator", tried);
            return;
        }
        AdminAccount admin = account.get();
        boolean permitted = Arrays.stream(allowed.value()).anyMatch(admin::has);
        if (!permitted) {
            deny(request, admin.name(), action(request), ErrorType.FORBIDDEN, "this needs one of the roles " + Arrays.stream(allowed.value()).map(Role::id).toList()
                    + "; " + admin.name() + " has " + admin.roles().stream().map(Role::id).toList());
            return;
        }
        Actor.set(admin.name());
        boolean secure = request.getSecurityContext().isSecure();
        request.setSecurityContext(new SecurityContext() {
            @Override
            public Principal getUserPrincipal() {
                return admin::name;
            }

            @Override
            public boolean isUserInRole(String role) {
                return admin.roles().stream().anyMatch(r -> r.id().equals(role));
            }

            @Override
            public boolean isSecure() {
                return secure;
            }

            @Override
            public String getAuthenticationScheme() {
                return BASIC_AUTH;
            }
        });
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        try {
            Method method = resource.getResourceMethod();
            // Public endpoints audit their own outcomes; refusals were audited when they were made.
            boolean audited = request.getProperty(DENIED_PROPERTY) != null || method != null && isPublic(method);
            if (!audited && runtime.started()) {
                if (changesState(request) && response.getStatus() >= 400) {
                    runtime.platform().auditLog().record(action(request), request.getUriInfo().getPath(), Outcome.FAILED, "HTTP " + response.getStatus());
                } else if (!changesState(request) && method != null) {
                    runtime.platform().auditLog().record(action(request), request.getUriInfo().getPath(),
                            response.getStatus() < 400 ? Outcome.ALLOWED : Outcome.FAILED, "HTTP " + response.getStatus());
                }
            }
        } finally {
            Actor.clear();
        }
    }

    private static boolean isPublic(Method method) {
        return method.isAnnotationPresent(Public.class) || method.getDeclaringClass().isAnnotationPresent(Public.class) && !method.isAnnotationPresent(Allow.class);
    }

    private static boolean changesState(ContainerRequestContext request) {
        return !HttpMethod.GET.equals(request.getMethod()) && !HttpMethod.HEAD.equals(request.getMethod()) && !HttpMethod.OPTIONS.equals(request.getMethod());
    }

    /** An Origin header naming another scheme, host or port than the request was sent to. */
    static boolean crossSite(ContainerRequestContext request) {
        String origin = request.getHeaderString("Origin");
        if (origin == null) {
            return false;
        }
        URI base = request.getUriInfo().getBaseUri();
        try {
            URI from = URI.create(origin);
            return !(base.getScheme().equalsIgnoreCase(from.getScheme()) && base.getHost().equalsIgnoreCase(from.getHost()) && port(base) == port(from));
        } catch (IllegalArgumentException | NullPointerException e) {
            return true;
        }
    }

    private static int port(URI uri) {
        return uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** The name and password of an HTTP Basic header, read once; empty for no header, another scheme or a malformed one. */
    private record BasicCredentials(String name, char[] password) {
        static Optional<BasicCredentials> of(String authorization) {
            if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                return Optional.empty();
            }
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            int colon = decoded.indexOf(':');
            return colon <= 0 ? Optional.empty() : Optional.of(new BasicCredentials(decoded.substring(0, colon), decoded.substring(colon + 1).toCharArray()));
        }

        /** For counting failures and the audit record: printable and short. */
        String printableName() {
            StringBuilder printable = new StringBuilder(Math.min(name.length(), 64) + 3);
            for (int i = 0; i < name.length() && printable.length() < 64; i++) {
                char c = name.charAt(i);
                printable.append(c >= 0x21 && c <= 0x7e ? c : '?');
            }
            return name.length() > 64 ? printable.append("...").toString() : printable.toString();
        }
    }

    private void deny(ContainerRequestContext request, String actor, String action, ErrorType type, String detail) {
        deny(request, actor, action, type, detail, "");
    }

    /**
     * Refusals are queued for the audit log without waiting, and only while it has room: anyone can make them, and a
     * flood of them waiting for commits would fill the queue that every audited action needs (as decision 016 has it
     * for the vault). A refusal the full queue could not take is lost, with a log line.
     */
    private void deny(ContainerRequestContext request, String actor, String action, ErrorType type, String detail, String attempted) {
        request.setProperty(DENIED_PROPERTY, Boolean.TRUE);
        if (runtime.started()) {
            runtime.platform().auditLog().recordAsyncIfRoom(new org.letterlock.platform.audit.AuditEvent(actor, action, request.getUriInfo().getPath(), Outcome.DENIED,
                    type.title() + attempted));
        }
        request.abortWith(ProblemMapper.problem(type, detail));
    }

    private static String action(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        int start = 0;
        while (start < path.length() && path.charAt(start) == '/') {
            start++;
        }
        return "http." + request.getMethod() + " /" + path.substring(start);
    }
}
