package org.letterlock.platform.web;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.letterlock.platform.identity.Role;

/**
 * The roles that may call a resource method (or every method of a class). Checked by {@link AdminAuthentication};
 * a method with neither this nor {@link Public} is refused to everyone. Our own annotation rather than
 * {@code @RolesAllowed}, which the container would enforce against its own (empty) realm.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Allow {
    Role[] value();
}
