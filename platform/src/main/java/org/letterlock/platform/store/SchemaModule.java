package org.letterlock.platform.store;

/**
 * A module's own schema: its Flyway migrations under {@code classpath:db/migration/<name>} and its own history table,
 * so each module evolves its tables without touching another's. Found through {@link java.util.ServiceLoader}.
 */
public interface SchemaModule {

    String name();

    /** Modules migrate in ascending order; a module's tables may reference only lower-ordered modules' tables. */
    int order();
}
