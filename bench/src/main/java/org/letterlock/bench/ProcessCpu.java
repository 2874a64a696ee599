package org.letterlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time used by a process and everything under it, from {@code /proc/<pid>/stat}: user and system time of the
 * process and of each live descendant, plus what their exited children used (cutime, cstime: Postfix's smtpd and
 * cleanup processes come and go). Read before and after a load, the difference is the CPU the relay spent on it.
 */
final class ProcessCpu {
    /** Linux's USER_HZ, the unit of the stat file's times. */
    static final double TICKS_PER_SECOND = 100;

    private ProcessCpu() {
    }

    /** Seconds of CPU used so far by {@code root}, its live descendants and their reaped children; 0 for what cannot be read. */
    static double seconds(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        all.addAll(root.descendants().toList());
        long ticks = 0;
        for (ProcessHandle process : all) {
            try {
                ticks += ticks(Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat")));
            } catch (IOException | RuntimeException e) {
                // gone between listing and reading: its time is in its parent's cutime once reaped
            }
        }
        return ticks / TICKS_PER_SECOND;
    }

    /** utime + stime + cutime + cstime (fields 14 to 17) of one stat line; the command name in parentheses may hold spaces. */
    static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
    }
}
