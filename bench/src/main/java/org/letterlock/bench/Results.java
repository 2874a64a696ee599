package org.letterlock.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A results table plus notes, printable as aligned text for the terminal and as Markdown for docs/benchmarks.md.
 * A column whose every cell is a figure (starts with a digit) or empty ({@value #NONE}) is right-aligned.
 */
public record Results(List<String> columns, List<List<String>> rows, List<String> notes) {
    public static final String NONE = "-";

    public Results {
        columns = List.copyOf(columns);
        rows = rows.stream().map(List::copyOf).toList();
        notes = List.copyOf(notes);
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("row " + row + " has " + row.size() + " cells for " + columns.size() + " columns");
            }
        }
    }

    /** A rate: no decimals from 100 up, one below (RSA signatures are counted in hundreds per second). */
    public static String rate(double perSecond) {
        return perSecond >= 100 ? String.format(Locale.ROOT, "%,.0f", perSecond) : String.format(Locale.ROOT, "%,.1f", perSecond);
    }

    /** A ratio as a whole percentage. */
    public static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.0f%%", ratio * 100);
    }

    public String text() {
        int[] widths = widths();
        StringBuilder out = new StringBuilder();
        appendTextRow(out, columns, widths, new boolean[columns.size()]);
        List<String> rule = new ArrayList<>();
        for (int width : widths) {
            rule.add("-".repeat(width));
        }
        appendTextRow(out, rule, widths, new boolean[columns.size()]);
        boolean[] right = rightAligned();
        for (List<String> row : rows) {
            appendTextRow(out, row, widths, right);
        }
        if (!notes.isEmpty()) {
            out.append('\n');
            for (String note : notes) {
                out.append("- ").append(note).append('\n');
            }
        }
        return out.toString();
    }

    public String markdown() {
        boolean[] right = rightAligned();
        StringBuilder out = new StringBuilder();
        out.append("| ").append(String.join(" | ", columns)).append(" |\n|");
        for (boolean r : right) {
            out.append(r ? "---:|" : "---|");
        }
        out.append('\n');
        for (List<String> row : rows) {
            out.append("| ").append(String.join(" | ", row.stream().map(cell -> cell.replace("|", "\\|")).toList())).append(" |\n");
        }
        if (!notes.isEmpty()) {
            out.append('\n');
            for (String note : notes) {
                out.append("- ").append(note).append('\n');
            }
        }
        return out.toString();
    }

    private int[] widths() {
        int[] widths = new int[columns.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = columns.get(i).length();
            for (List<String> row : rows) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        return widths;
    }

    private boolean[] rightAligned() {
        boolean[] right = new boolean[columns.size()];
        for (int i = 0; i < right.length; i++) {
            boolean figures = !rows.isEmpty();
            for (List<String> row : rows) {
                String cell = row.get(i);
                figures &= cell.equals(NONE) || (!cell.isEmpty() && Character.isDigit(cell.charAt(0)));
            }
            right[i] = figures;
        }
        return right;
    }

    private static void appendTextRow(StringBuilder out, List<String> cells, int[] widths, boolean[] right) {
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(widths[i] - cell.length());
            out.append(i == 0 ? "" : "  ").append(right[i] ? pad + cell : cell + (i == cells.size() - 1 ? "" : pad));
        }
        out.append('\n');
    }
}
