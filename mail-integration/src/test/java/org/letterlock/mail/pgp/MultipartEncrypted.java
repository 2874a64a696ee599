package org.letterlock.mail.pgp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A multipart entity as a strict reader of RFC 2045 and RFC 2046 sees it: the header fields (unfolded, names in
 * lower case), the media type and its parameters, and the body parts between the boundary delimiters (the CRLF before
 * a delimiter belongs to the delimiter). It checks nothing: the tests say what must hold.
 */
record MultipartEncrypted(Map<String, String> fields, String mediaType, Map<String, String> parameters, String preamble, List<Part> parts,
        boolean closed) {
    private static final Pattern PARAMETER = Pattern.compile(";\\s*([^=\\s;]+)\\s*=\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^;\\s]+)");

    record Part(Map<String, String> fields, String body) {
    }

    static MultipartEncrypted parse(String entity) {
        int headerEnd = entity.indexOf("\r\n\r\n");
        Map<String, String> fields = fields(entity.substring(0, headerEnd + 2));
        String contentType = fields.getOrDefault("content-type", "");
        int semicolon = contentType.indexOf(';');
        String mediaType = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        Map<String, String> parameters = new LinkedHashMap<>();
        Matcher parameter = PARAMETER.matcher(contentType);
        while (parameter.find()) {
            String value = parameter.group(2);
            parameters.put(parameter.group(1).toLowerCase(Locale.ROOT), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
        }
        String delimiter = "--" + parameters.get("boundary");
        List<String> preamble = new ArrayList<>();
        List<Part> parts = new ArrayList<>();
        List<String> part = null;
        boolean closed = false;
        for (String line : entity.substring(headerEnd + 4).split("\r\n", -1)) {
            if (line.equals(delimiter) || line.equals(delimiter + "--")) {
                if (part != null) {
                    parts.add(part(String.join("\r\n", part)));
                }
                part = new ArrayList<>();
                if (line.endsWith("--")) {
                    closed = true;
                    break;
                }
            } else if (part == null) {
                preamble.add(line);
            } else {
                part.add(line);
            }
        }
        return new MultipartEncrypted(fields, mediaType, parameters, String.join("\r\n", preamble), parts, closed);
    }

    private static Part part(String text) {
        int headerEnd = text.startsWith("\r\n") ? 0 : text.indexOf("\r\n\r\n") + 2;
        return new Part(fields(text.substring(0, headerEnd)), text.substring(headerEnd + 2));
    }

    /** Header fields, each ending in CRLF, unfolded. */
    private static Map<String, String> fields(String header) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : header.replaceAll("\r\n([ \t])", "$1").split("\r\n")) {
            if (!field.isEmpty()) {
                int colon = field.indexOf(':');
                fields.put(field.substring(0, colon).trim().toLowerCase(Locale.ROOT), field.substring(colon + 1).trim());
            }
        }
        return fields;
    }
}
