package org.letterlock.platform.config;

/**
 * The keyserver's settings (read and validated with the rest of the configuration).
 *
 * @param hkpPort            port of the HKP listener, 0 for none
 * @param ldapPort           port of the LDAP listener, 0 for none
 * @param ldapsPort          port of the LDAP-over-TLS listener (on the LDAP address), 0 for none
 * @param ldapBase           base DN of the LDAP directory
 * @param maxKeyBytes        largest upload accepted
 * @param maxUserAttributes  photo IDs kept per key, 0 strips them
 */
public record KeyserverSettings(int hkpPort, String hkpAddress, int ldapPort, String ldapAddress, int ldapsPort, String ldapBase, int maxKeyBytes, int maxUserIds, int maxSubkeys,
                                int maxUserAttributes) {
}
