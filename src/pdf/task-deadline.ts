// When a PDF task has run too long. A hostile PDF makes its parser spin (or hang), and the
// task is refused once it has spent its limit — but on a busy machine a worker that waits
// for a core is slow, not its PDF complex, and refusing that PDF would refuse a good
// document for a passing cause. So the time counted is the worker's own: the CPU time its
// main thread and libuv's pool used (/proc/PID/task/*/stat: the parser runs on the first,
// zlib on the second; V8's GC and compiler threads working beside them would count the
// same second twice) plus the time they were all seen asleep (a parser awaiting what never
// comes), sampled every SAMPLE_MS — never the time one was runnable but waiting for a
// core, and never more than the clock's time. A task
// that gets too little CPU to finish within several times its limit is given up as the
// machine's fault, and the mail tried again later. The second PDF reader (poppler-text.ts), a
// child process the worker awaits, is the worker's own work too: its CPU time counts, and
// while it runs or waits for a core the worker is not asleep. Where /proc cannot be read the
// clock is all there is. (/proc/PID/schedstat's run-queue wait would say it directly, but the kernel
// adds a wait up only once it is over: a worker waiting still looks as if it is not.)
import { readdirSync, readFileSync } from 'node:fs';
import { procStatFields } from '../proc-stat.ts';

/** How often a running task's worker is looked at. */
export const SAMPLE_MS = 100;
/** /proc reports CPU times in USER_HZ, which Linux fixes at 100 for user space. */
const TICKS_PER_SECOND = 100;

export interface WorkerSample {
  /** CPU time (user + system) the worker's own threads used so far, ms (workerSampleOf). */
  cpuMs: number;
  /** They are all asleep (or stopped): none running or waiting for a CPU. */
  asleep: boolean;
}

/** One thread of a process, as /proc/PID/task/TID/stat tells it. */
export interface ThreadStat {
  tid: number;
  /** The thread's name: "node" for the main thread, "libuv-worker" for libuv's pool, "V8Worker" and others for V8's. */
  comm: string;
  /** R running or waiting for a CPU; S, D and the rest not. */
  state: string;
  cpuMs: number;
}

/**
 * The worker's own work among its threads: its main thread, where the parser runs, and
 * libuv's pool ("libuv-worker"), where zlib inflates the large streams the main thread
 * awaits (measure-inflated-size.ts). V8's own threads (GC, compiler) are left out of the
 * CPU time: they work beside the main thread and would count its seconds twice. Asleep
 * only when no thread of the process runs or waits for a core: a main thread that awaits
 * an inflate in libuv's pool, or V8's GC helpers finishing a collection (a PDF that fills
 * the heap), is not idle. Counted as asleep, a busy machine's slow inflate was refused as
 * a "too complex" PDF (the hostile suite's zip bombs, with `yes` and eight test files
 * beside it), and so was a zip bomb with two suites beside it, its main thread waiting on
 * GC helpers that waited for a core.
 */
export function workerSampleOf(pid: number, threads: readonly ThreadStat[], children: WorkerChildren = { running: [], reapedCpuMs: 0 }): WorkerSample | null {
  const own = threads.filter((t) => t.tid === pid || t.comm === 'libuv-worker');
  if (!own.some((t) => t.tid === pid)) return null;
  const cpuMs = [...own, ...children.running].reduce((sum, t) => sum + t.cpuMs, 0) + children.reapedCpuMs;
  return { cpuMs, asleep: [...threads, ...children.running].every((t) => t.state !== 'R') };
}

/**
 * The worker's child processes (pdftotext): those running, each as its stat tells it, and the
 * CPU time of those it has reaped (its stat's cutime + cstime): together a total that does not
 * drop when one ends.
 */
export interface WorkerChildren {
  running: readonly ThreadStat[];
  reapedCpuMs: number;
}

/** One thread's stat line, parsed; null when it is not one. */
export function parseThreadStat(tid: number, stat: string): ThreadStat | null {
  const fields = procStatFields(stat);
  const ticks = Number(fields?.[11]) + Number(fields?.[12]);
  if (!fields || !Number.isFinite(ticks)) return null;
  return { tid, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), state: fields[0] ?? '', cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}

/** The CPU time of a process's reaped children (cutime + cstime of its stat line), ms; 0 when it does not tell. */
export function reapedChildrenCpuMs(stat: string): number {
  const fields = procStatFields(stat);
  const ticks = Number(fields?.[13]) + Number(fields?.[14]);
  return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : 0;
}

/** A worker process now (workerSampleOf its threads in /proc); null when /proc does not tell. */
export function sampleWorker(pid: number): WorkerSample | null {
  try {
    const threads: ThreadStat[] = [];
    for (const name of readdirSync(`/proc/${pid}/task`)) {
      const tid = Number(name);
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // a thread that ended between the listing and the read
      }
      const thread = parseThreadStat(tid, stat);
      if (thread) threads.push(thread);
    }
    return workerSampleOf(pid, threads, childrenOf(pid));
  } catch {
    return null;
  }
}

/** The worker's children now; none where /proc does not list them (the kernel's CONFIG_PROC_CHILDREN). */
function childrenOf(pid: number): WorkerChildren {
  const running: ThreadStat[] = [];
  let reapedCpuMs = 0;
  try {
    reapedCpuMs = reapedChildrenCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    // The worker starts its children from its main thread, whose list is the one that names them.
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)) {
      try {
        const stat = parseThreadStat(child, readFileSync(`/proc/${child}/stat`, 'utf8'));
        if (stat) running.push(stat);
      } catch {
        // ended between the listing and the read: its time is in reapedCpuMs next time
      }
    }
  } catch {
    // not told: the threads alone
  }
  return { running, reapedCpuMs };
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
