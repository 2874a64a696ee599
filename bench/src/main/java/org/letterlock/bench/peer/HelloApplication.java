package org.letterlock.bench.peer;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The startup benchmark's peer: the smallest JAX-RS application, packed into a WAR at run time by {@code Startup} and
 * deployed on the same Payara Micro as Letterlock. Never loaded by the bench itself (Payara provides the API).
 */
@ApplicationPath("api")
public class HelloApplication extends Application {
}
