// A /proc/PID/stat line's fields — one reading for the PDF worker's deadline (its CPU time:
// pdf/task-deadline.ts) and the data dir's pid file (a process's start time:
// store/data-dir-lock.ts). Pure.

/**
 * "pid (comm) state ppid …": comm may hold spaces and parentheses; the fields after the last
 * ')' are fixed — the state first (field 3 of proc(5)), utime and stime the 12th and 13th
 * here, cutime and cstime the 14th and 15th, starttime the 20th. Null when it is not a stat line.
 */
export function procStatFields(stat: string): string[] | null {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  return stat.slice(close + 2).split(' ');
}
