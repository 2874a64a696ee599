package org.letterlock.platform.config;

import java.net.URI;
import java.time.Duration;

/**
 * Settings of enrollment (EST, ACME, CMP), read and validated with the rest of the configuration.
 *
 * @param port                 port of the HTTPS enrollment listener, 0 for none
 * @param url                  base URL clients reach that listener at, without a trailing slash
 * @param secretTtl            lifetime of an unused enrollment secret
 * @param secretMailsPerHour   secrets mailed to one mailbox per hour at most
 * @param secretAttempts       wrong secrets one client may try for one mailbox within 15 minutes
 */
public record EnrollSettings(int port, String address, URI url, Duration secretTtl, int secretMailsPerHour, int secretAttempts) {
}
