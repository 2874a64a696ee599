package org.letterlock.platform.web;

/** The few HTML pages a mailed link opens: a confirmation button (GET never spends a token; scanners follow links) and a result. */
public final class HtmlPages {
    private HtmlPages() {
    }

    public static String page(String title, String body) {
        return "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>" + title + " - Letterlock</title><h1>" + title + "</h1>" + body + "</html>";
    }

    /** A form that posts {@code token} back to {@code action}. */
    public static String confirmation(String title, String action, String token, String button) {
        return page(title, "<form method=\"post\" action=\"" + action + "\"><input type=\"hidden\" name=\"token\" value=\"" + escape(token == null ? "" : token)
                + "\"><button type=\"submit\">" + button + "</button></form>");
    }

    public static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
