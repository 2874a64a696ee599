package org.letterlock.platform.web;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.bind.JsonbException;
import jakarta.json.stream.JsonParsingException;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.letterlock.platform.error.Causes;
import org.letterlock.platform.error.ErrorType;
import org.letterlock.platform.error.LetterlockException;
import org.letterlock.vault.VaultException;

/** The one place errors become RFC 9457 {@code application/problem+json}. Unexpected errors show an incident id, never a stack trace. */
@Provider
public class ProblemMapper implements ExceptionMapper<Throwable> {
    public static final String PROBLEM_JSON = "application/problem+json";
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class.getName());

    @Context
    UriInfo uri;

    @Override
    public Response toResponse(Throwable error) {
        if (error instanceof LetterlockException e) {
            return problem(e.type(), e.detail());
        }
        if (error instanceof VaultException e) {
            return problem(typeOf(e.reason()), e.getMessage());
        }
        if (error instanceof WebApplicationException e) {
            return fromStatus(e.getResponse().getStatus(), e.getMessage());
        }
        if (error instanceof JsonbException || error instanceof JsonParsingException
                || error instanceof ProcessingException && error.getCause() instanceof JsonbException) {
            return problem(ErrorType.BAD_REQUEST, "the request body is not the JSON this endpoint takes: " + Causes.rootMessage(error));
        }
        String incident = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "incident " + incident + " at " + (uri == null ? "?" : uri.getPath()), error);
        return problem(ErrorType.INTERNAL, "internal error; the log has the details under incident " + incident);
    }

    public static Response problem(ErrorType type, String detail) {
        return problem(type.status(), type.typeUri(), type.title(), detail);
    }

    private static Response problem(int status, String type, String title, String detail) {
        JsonObjectBuilder body = Json.createObjectBuilder()
                .add("type", type)
                .add("title", title)
                .add("status", status);
        if (detail != null) {
            body.add("detail", detail);
        }
        Response.ResponseBuilder response = Response.status(status).type(PROBLEM_JSON).entity(body.build().toString());
        if (status == 401) {
            response.header("WWW-Authenticate", "Basic realm=\"letterlock\", charset=\"UTF-8\"");
        }
        return response.build();
    }

    private static Response fromStatus(int status, String message) {
        for (ErrorType type : ErrorType.values()) {
            if (type.status() == status) {
                return problem(type, message);
            }
        }
        Response.StatusType known = Response.Status.fromStatusCode(status);
        String title = known == null ? "HTTP " + status : known.getReasonPhrase();
        return problem(status, "about:blank", title, message);
    }

    static ErrorType typeOf(VaultException.Reason reason) {
        return switch (reason) {
            case KEY_NOT_FOUND -> ErrorType.NOT_FOUND;
            case KEY_EXISTS -> ErrorType.CONFLICT;
            case UNSUPPORTED, INVALID_INPUT -> ErrorType.BAD_REQUEST;
            case CONFIGURATION, LOGIN_FAILED, BACKEND_FAILURE, WOULD_WAIT -> ErrorType.UNAVAILABLE;
        };
    }
}
