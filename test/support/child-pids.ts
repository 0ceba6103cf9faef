// The children of a process, read from Linux's /proc: what a test stops or kills after the
// process that started them (Dovecot's imap processes, the daemon's PDF workers).
import { readdirSync, readFileSync } from 'node:fs';
import { parseThreadStat } from '../../src/pdf/task-deadline.ts';

/** PIDs whose parent is `pid`. */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …" — comm may contain spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Whether a process with this PID is still there (a zombie counts until it is reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU time (user + system, ms) used so far by a process and every live descendant (read
 * from /proc/PID/task/TID/children), 0 when it is gone: how much work a daemon and its
 * PDF workers got done, whatever a busy machine did to the clock. Each stat line is read
 * as the PDF pool's task deadline reads it (parseThreadStat).
 */
export function treeCpuMs(pid: number): number {
  let cpuMs = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    try {
      cpuMs += parseThreadStat(next, readFileSync(`/proc/${next}/stat`, 'utf8'))?.cpuMs ?? 0;
      for (const tid of readdirSync(`/proc/${next}/task`)) {
        for (const child of readFileSync(`/proc/${next}/task/${tid}/children`, 'utf8').split(' ')) {
          if (child.trim()) pending.push(Number(child));
        }
      }
    } catch {
      // exited while we looked
    }
  }
  return cpuMs;
}
