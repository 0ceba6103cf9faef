// When a PDF task has run too long. A hostile PDF makes its parser spin (or hang), and the
// task is refused once it has spent its limit — but on a busy machine a worker that waits
// for a core is slow, not its PDF complex, and refusing that PDF would refuse a good
// document for a passing cause. So the time counted is the worker's own: the CPU time its
// main thread used (/proc/PID/task/PID/stat: the parser runs there; V8's GC and compiler
// threads working beside it would count the same second twice) plus the time it was seen
// asleep (a parser awaiting what never comes), sampled every SAMPLE_MS — never the time it
// was runnable but waiting for a core, and never more than the clock's time. A task
// that gets too little CPU to finish within several times its limit is given up as the
// machine's fault, and the mail tried again later. Where /proc cannot be read the clock is
// all there is. (/proc/PID/schedstat's run-queue wait would say it directly, but the kernel
// adds a wait up only once it is over: a worker waiting still looks as if it is not.)
import { readFileSync } from 'node:fs';

/** How often a running task's worker is looked at. */
export const SAMPLE_MS = 100;
/** /proc reports CPU times in USER_HZ, which Linux fixes at 100 for user space. */
const TICKS_PER_SECOND = 100;

export interface WorkerSample {
  /** CPU time (user + system) the process's main thread used so far, ms. */
  cpuMs: number;
  /** Its main thread is asleep (or stopped), not running or waiting for a CPU. */
  asleep: boolean;
}

/** A process's main thread: its CPU time and whether it sleeps (/proc/PID/task/PID/stat); null when /proc does not tell. */
export function sampleWorker(pid: number): WorkerSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; the fields after the
    // last ')' are fixed: the state first, utime and stime the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(ticks)) return null;
    return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, asleep: fields[0] !== 'R' };
  } catch {
    return null;
  }
}

export interface TaskDeadline {
  /** The task's own time it may take: CPU, or asleep (the clock's time where /proc does not tell). */
  limitMs: number;
  /** Clock time after which a task still under its limit is given up as starved of CPU. */
  starvedAfterMs: number;
  /** The task took its time, running or hanging: the PDF is too complex. */
  onOverLimit(): void;
  /** The task waited for a CPU so long it could not finish: the machine is too busy. */
  onStarved(used: { ownMs: number; wallMs: number }): void;
  /** The worker now (sampleWorker of its pid). */
  sample(): WorkerSample | null;
}

/** Watches a task started now; returns what cancels the watch (the task answered). */
export function watchTaskDeadline(deadline: TaskDeadline): () => void {
  const startedAt = Date.now();
  const first = deadline.sample();
  if (first === null) {
    const timer = setTimeout(() => deadline.onOverLimit(), deadline.limitMs);
    return () => clearTimeout(timer);
  }
  let lookedAt = startedAt;
  let asleepMs = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const sample = deadline.sample();
    const wallMs = now - startedAt;
    if (sample?.asleep) asleepMs += now - lookedAt;
    lookedAt = now;
    // Unreadable now (the process is going away: its exit is the pool's to tell): the clock.
    // Never more than the clock: CPU ticks and sampled sleep are coarse, and the limit must
    // not run out before it has on the clock.
    const ownMs = sample === null ? wallMs : Math.min(wallMs, sample.cpuMs - first.cpuMs + asleepMs);
    if (ownMs >= deadline.limitMs) {
      clearInterval(timer);
      deadline.onOverLimit();
    } else if (wallMs >= deadline.starvedAfterMs) {
      clearInterval(timer);
      deadline.onStarved({ ownMs, wallMs });
    }
  }, Math.min(SAMPLE_MS, deadline.limitMs));
  return () => clearInterval(timer);
}
