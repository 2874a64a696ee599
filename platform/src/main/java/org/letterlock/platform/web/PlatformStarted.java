package org.letterlock.platform.web;

import org.letterlock.platform.runtime.Letterlock;

/**
 * Fired once the platform is up, so modules start on top of it in order. An observer that throws stops the server
 * the same way a failed platform start does.
 */
public record PlatformStarted(Letterlock platform) {
}
