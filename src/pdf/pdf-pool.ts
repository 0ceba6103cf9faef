// Runs PDF parsing (inspection, stamping, the completion path's token lookup and
// signed-copy check) in worker processes with a time limit (on the worker's own time, not
// its wait for a CPU: task-deadline.ts), a heap limit and a
// cap on single buffers, because the parsers are pure JS running on input an attacker
// shapes: a few KB of nested forms keep pdf.js busy for hours, a page of tiny objects fills
// any heap, a zip bomb unpacks to gigabytes. On timeout or out-of-memory the worker is
// killed and the PDF is refused as too complex (pdf_too_complex, an input error: the
// requester gets one reply and the mail is never retried). A task starved of CPU on a busy
// machine is the machine's fault (pdf_worker_starved, transient: tried again, its attempt
// given back). Any other failure of the worker is a processing failure, retried by the
// watcher a limited number of times.
//
// Processes, not worker threads: a worker thread's `resourceLimits` do not contain every
// out-of-memory — when one array or string grows past the limit, V8 aborts the whole
// process (nodejs/node#47224). A PDF whose content is one array of 30 million numbers did
// exactly that to the daemon. A worker process dies alone.
//
// A pool of our own rather than a library's (workerpool has process workers): a task's
// answer must say WHY a worker died (its heap, from its stderr; its time; a buffer over the
// cap) because that decides between "refuse the PDF" and "try the mail again", a task may
// ask for other limits than the pool's (tests, the bench), and replies carry PDFs, so the
// IPC channel uses structured clone rather than JSON.
//
// Two modes. The daemon calls startPdfPool(): `minWorkers` processes (default one) are
// started at once and kept warm — the parsers loaded, ready for the first mail of a quiet
// morning — and more are started when a task finds none idle, up to `workers` (default: one per
// core). Each is replaced as soon as it dies or is killed at a limit, and recycled after
// `maxTasksPerWorker` tasks or once its memory grew past `maxWorkerRssMb` (parsers keep
// caches, and a heap that grew for one large PDF is not given back). After `idleMs` without
// a task the workers above `minWorkers` end, and a warm worker that has worked is replaced
// by a fresh one: a quiet daemon goes back to the memory it started with. Without
// startPdfPool (the CLI's `stamp` and `explain`, tests), workers start on demand and end
// after IDLE_MS unused. stopPdfPool() returns to that mode without ending the idle workers,
// so a daemon started again in the same process (a reload) takes them as they are, parsers
// loaded; endIdlePdfWorkers() ends them at once. Either way, an idle worker never keeps a
// process alive.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { collectGarbage, COLLECT_AFTER_BYTES } from '../collect-garbage.ts';
import { SignrelayError, describeError, type ErrorKind } from '../errors.ts';
import { workerEnvironment } from '../native-memory.ts';
import { guardAgainstOrphan } from '../orphan-guard.ts';
import type { PdfLimits } from './inspect-pdf.ts';
import { isErrnoCode, killedFromOutsideError, OUTSIDE_SIGNALS, starvedPdfWorkerError, tooComplexPdfError, WORKER_CANNOT_LOAD_EXIT, workerUnavailable } from './pdf-errors.ts';
import { largestBytes, spillBytes, spillDirectory, unspillBytes } from './spill-bytes.ts';
import { sampleWorker, watchTaskDeadline } from './task-deadline.ts';
import type { StampInput } from './stamp-tags.ts';
import type { SentCopy } from './verify-signed-copy.ts';
import { sameFileAs } from './worker-release.ts';

export interface PdfWorkerLimits {
  /**
   * Time a task may take, start-up of a fresh worker included: its worker's CPU time and time
   * asleep, not the time it waited for a CPU (task-deadline.ts). A task that waited so long it
   * could not use it within `starvedAfterLimits` times this is given up as the machine's
   * fault, and retried.
   */
  timeoutMs: number;
  /** How many times timeoutMs, on the clock, a task may wait for its CPU (STARVED_AFTER_LIMITS; Infinity: as long as it takes). */
  starvedAfterLimits: number;
  /** The worker's JS heap (V8 old generation, --max-old-space-size). */
  maxHeapMb: number;
  /** The largest single buffer the parsers may allocate (typed arrays live outside the heap). */
  maxBufferBytes: number;
}

/** A task under its limit is given up as starved of CPU after this many times the limit on the clock. */
const STARVED_AFTER_LIMITS = 6;

/** The limits every PDF is parsed under (measured: see the README's "Hostile input"). */
export const PDF_WORKER_LIMITS: Readonly<PdfWorkerLimits> = Object.freeze({
  timeoutMs: 20_000,
  starvedAfterLimits: STARVED_AFTER_LIMITS,
  maxHeapMb: 256,
  maxBufferBytes: 64 * 1024 * 1024,
});

export interface PdfPoolSettings {
  /**
   * Workers at once; more tasks wait in line. A worker at its limits peaks at ~2.5 times
   * its heap limit (one array's growth), so this also bounds what PDFs can cost the machine.
   */
  workers: number;
  /** Workers kept started and ready while nothing happens. */
  minWorkers: number;
  /** A warm worker this long without a task ends (above minWorkers) or is replaced by a fresh one. */
  idleMs: number;
  /** A worker is replaced after this many tasks. */
  maxTasksPerWorker: number;
  /** A worker whose resident memory is above this after a task is replaced. */
  maxWorkerRssMb: number;
}

export const DEFAULT_POOL: Readonly<PdfPoolSettings> = Object.freeze({
  workers: availableParallelism(),
  minWorkers: 1,
  idleMs: 30_000,
  maxTasksPerWorker: 200,
  maxWorkerRssMb: 320,
});

/** Without startPdfPool, an idle worker is ended after this long. */
export const IDLE_MS = 10_000;
/** How much of a dying worker's stderr is kept to say why it died. */
const STDERR_TAIL_CHARS = 2_000;

export type PdfTask =
  | { op: 'inspect'; bytes: Uint8Array; limits: PdfLimits }
  | { op: 'stamp'; bytes: Uint8Array; input: StampInput }
  | { op: 'prepare'; bytes: Uint8Array; limits: PdfLimits; input: StampInput }
  | { op: 'token'; bytes: Uint8Array; overlayPage?: number | undefined }
  | { op: 'verify-signed'; bytes: Uint8Array; sent: SentCopy };

export interface PdfTaskMessage {
  id: number;
  task: PdfTask;
  maxBufferBytes: number;
  /** Where the worker writes the large byte arrays of its answer (spill-bytes.ts). */
  spillDir: string;
}

export interface SerializedError {
  name: string;
  message: string;
  kind?: ErrorKind;
  code?: string;
  cause?: string | undefined;
  stack?: string | undefined;
}

/** `rss`: the worker's resident memory after the task, for recycling. */
export type PdfTaskReply = { id: number; rss: number } & ({ ok: true; value: unknown } | { ok: false; error: SerializedError });

// pdf-worker.ts beside this file in the sources, pdf-worker.js in the built package (dist/).
const WORKER_PATH = fileURLToPath(new URL(`./pdf-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
/** Whether the worker's module is still the one this process started with: no worker of another release is started (worker-release.ts). */
const sameRelease = sameFileAs(WORKER_PATH);

let defaults: PdfWorkerLimits = { ...PDF_WORKER_LIMITS };
let pool: PdfPoolSettings = { ...DEFAULT_POOL };
let warm = false;

/**
 * Changes the limits every later task runs under when it names none, and returns the
 * previous ones. For tests that drive the whole daemon: a spinning PDF is then refused in
 * seconds, not 20 s. Idle workers started under other limits are replaced.
 */
export function setPdfWorkerLimits(limits: Partial<PdfWorkerLimits>): PdfWorkerLimits {
  const previous = defaults;
  defaults = { ...defaults, ...limits };
  if (warm) replenish();
  return previous;
}

/** Keeps workers started and ready until stopPdfPool() (the daemon). */
export function startPdfPool(settings: Partial<PdfPoolSettings> = {}): void {
  pool = { ...DEFAULT_POOL, ...settings };
  pool.minWorkers = Math.min(pool.minWorkers, pool.workers);
  warm = true;
  for (const worker of idle) armIdleTimer(worker);
  replenish();
  waiting.splice(0).forEach((wake) => wake());
}

/** Returns to starting workers on demand, with the default settings; the idle ones end after IDLE_MS unless a task (or a new startPdfPool) takes them. */
export function stopPdfPool(): void {
  warm = false;
  pool = { ...DEFAULT_POOL };
  clearTimeout(replenishTimer);
  startFailures = 0;
  for (const worker of idle) armIdleTimer(worker);
}

/** Ends the idle workers now (the daemon's process is about to exit; a test wants a clean pool). */
export function endIdlePdfWorkers(): void {
  for (const worker of idle.splice(0)) stopWorker(worker);
}

/** What the pool is doing (metrics and tests). */
export function pdfPoolStatus(): { warm: boolean; workers: number; idle: number; busy: number; waiting: number; started: number; unguarded: number; tasks: number; pids: number[] } {
  const pids = idle.map((w) => w.child.pid).filter((pid) => pid !== undefined);
  return { warm, workers: pool.workers, idle: idle.length, busy: running, waiting: waiting.length, started: startedTotal, unguarded: unguardedTotal, tasks: nextId - 1, pids };
}

interface PooledWorker {
  child: ChildProcess;
  startedAt: number;
  maxHeapMb: number;
  stderrTail: string;
  tasks: number;
  idleTimer?: NodeJS.Timeout | undefined;
}

const idle: PooledWorker[] = [];
let running = 0;
let startedTotal = 0;
/** Workers whose orphan guard could not be started. */
let unguardedTotal = 0;
const waiting: Array<() => void> = [];
let nextId = 1;
/** Large byte arrays go to and from the workers as files here (spill-bytes.ts). */
const spill = spillDirectory();
/** Warm workers in a row that died before their first task; their replacement waits longer each time. */
let startFailures = 0;
let replenishTimer: NodeJS.Timeout | undefined;
const START_GRACE_MS = 5_000;
/**
 * V8's young generation in a worker, per semi-space. Left to V8 it is sized from the
 * machine's memory (tens of MB on a server), and every page of it a burst touches stays
 * resident: the bench's burst of 100 mails peaked at 915 MB over the tree with V8's default,
 * 697 MB at 16 MB and 660 MB at 2 MB, at the same rate (docs/performance.md).
 */
const WORKER_SEMI_SPACE_MB = 2;
const FIRST_RESTART_PAUSE_MS = 250;
const MAX_RESTART_PAUSE_MS = 30_000;

/** Runs one task in a worker under the limits; the caller's bytes stay intact. */
export async function runPdfTask<T>(task: PdfTask, fileName: string | undefined, overrides: Partial<PdfWorkerLimits> = {}): Promise<T> {
  const limits = { ...defaults, ...overrides };
  while (running >= pool.workers) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await runInWorker<T>(task, fileName, limits);
  } finally {
    running--;
    // A worker that died or was worn out is replaced now, before the next task takes one.
    if (warm) replenish();
    waiting.shift()?.();
  }
}

function startWorker(maxHeapMb: number): PooledWorker {
  if (!sameRelease()) {
    throw workerUnavailable(`signrelay's files changed under the running daemon (${WORKER_PATH}: a new release installed before its restart?), and a PDF worker started now would run other code than the daemon's — restart signrelay to run the new release`, undefined);
  }
  // Type stripping must be on in the worker as it is here (Node 22 needs the flag).
  const inherited = process.execArgv.filter((flag) => /^--(experimental-strip-types|experimental-transform-types|no-warnings)$/.test(flag));
  const child = fork(WORKER_PATH, [], {
    execArgv: [...inherited, `--max-old-space-size=${maxHeapMb}`, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`],
    // glibc's allocator set for large buffers, jemalloc left to the daemon (native-memory.ts says why), however the daemon was started.
    env: workerEnvironment(process.env),
    serialization: 'advanced',
    // pdf-lib and pdf.js may print to the console; stderr is kept to explain a crash.
    // Not a process group of its own (that is a session, and with the kernel's autogroup
    // scheduling its own CPU share): a stop's SIGTERM or a terminal's SIGINT reach it, and
    // pdf-worker.ts ignores them — the daemon finishes the task in hand, then ends it.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  // Killed when the daemon is gone (src/orphan-guard.ts); ended here when the worker is. A
  // guard that cannot start leaves the worker running unguarded: counted, for /metrics.
  const guard = child.pid === undefined ? undefined : guardAgainstOrphan(child.pid, 'signrelay-pdf-guard', { onUnguarded: () => unguardedTotal++ });
  child.once('exit', () => guard?.kill('SIGKILL'));
  startedTotal++;
  const pooled: PooledWorker = { child, maxHeapMb, stderrTail: '', tasks: 0, startedAt: Date.now() };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (pooled.stderrTail = (pooled.stderrTail + text).slice(-STDERR_TAIL_CHARS)));
  // A worker that cannot be started (or dies while idle) must not crash the daemon.
  child.on('error', () => {});
  child.on('exit', (_code, signal) => {
    if (!dropIdle(pooled) || !warm) return;
    // A worker that ends by itself before its first task, soon after its start, cannot start
    // (a broken install, a bad flag): try again after a growing pause, not in a tight loop.
    // One killed (the OOM killer, an operator) is replaced at once.
    const couldNotStart = signal === null && pooled.tasks === 0 && Date.now() - pooled.startedAt < START_GRACE_MS;
    startFailures = couldNotStart ? startFailures + 1 : 0;
    if (startFailures === 0) {
      replenish();
      return;
    }
    clearTimeout(replenishTimer);
    replenishTimer = setTimeout(replenish, Math.min(MAX_RESTART_PAUSE_MS, FIRST_RESTART_PAUSE_MS * 2 ** (startFailures - 1)));
    replenishTimer.unref();
  });
  return pooled;
}

/**
 * Warm pool: idle workers under other limits are replaced, and missing ones started —
 * minWorkers, and one for each running task (a task finding none idle starts its own, up to
 * `workers`): no spare is started beside a busy worker — for a single mail, the usual case,
 * it cost ~100 MB and a start-up's CPU taken from the task it stood beside.
 */
function replenish(): void {
  for (const worker of [...idle]) {
    if (worker.maxHeapMb !== defaults.maxHeapMb) {
      dropIdle(worker);
      stopWorker(worker);
    }
  }
  const wanted = Math.min(pool.workers, Math.max(pool.minWorkers, running));
  // After an upgrade under the daemon, a task finds none and is told why (startWorker).
  while (warm && idle.length + running < wanted && sameRelease()) {
    const worker = startWorker(defaults.maxHeapMb);
    setRef(worker, false);
    idle.push(worker);
    armIdleTimer(worker);
  }
}

/**
 * A worker unused for idleMs (warm) or IDLE_MS (on demand): on demand, ended; warm, ended if
 * more than minWorkers are up, else replaced by a fresh one if it has worked.
 */
function armIdleTimer(pooled: PooledWorker): void {
  clearTimeout(pooled.idleTimer);
  pooled.idleTimer = setTimeout(() => {
    if (!dropIdle(pooled)) return;
    if (!warm) {
      stopWorker(pooled);
      return;
    }
    const surplus = idle.length + running >= pool.minWorkers;
    if (surplus || pooled.tasks > 0) stopWorker(pooled);
    else idle.push(pooled);
    replenish();
  }, warm ? pool.idleMs : IDLE_MS);
  pooled.idleTimer.unref();
}

function takeWorker(maxHeapMb: number): PooledWorker {
  const at = idle.findIndex((w) => w.maxHeapMb === maxHeapMb && w.child.connected);
  if (at < 0) return startWorker(maxHeapMb);
  const [pooled] = idle.splice(at, 1);
  clearTimeout(pooled!.idleTimer);
  setRef(pooled!, true);
  return pooled!;
}

function returnWorker(pooled: PooledWorker, rss: number): void {
  pooled.tasks++;
  startFailures = 0;
  const worn = pooled.tasks >= pool.maxTasksPerWorker || rss > pool.maxWorkerRssMb * 1024 * 1024;
  const unwanted = pooled.maxHeapMb !== defaults.maxHeapMb || idle.length + running > pool.workers;
  if (worn || unwanted || !pooled.child.connected) {
    stopWorker(pooled);
    return;
  }
  setRef(pooled, false);
  idle.push(pooled);
  armIdleTimer(pooled);
}

/** Ends a worker that is not running a task: it exits when its channel closes; SIGKILL if it must go at once. */
function stopWorker(pooled: PooledWorker): void {
  clearTimeout(pooled.idleTimer);
  pooled.child.kill('SIGKILL');
}

function dropIdle(pooled: PooledWorker): boolean {
  clearTimeout(pooled.idleTimer);
  const at = idle.indexOf(pooled);
  if (at >= 0) idle.splice(at, 1);
  return at >= 0;
}

/** An idle worker must not keep the daemon (or `signrelay explain`) from exiting. */
function setRef(pooled: PooledWorker, ref: boolean): void {
  const handles = [pooled.child, pooled.child.channel, pooled.child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
  for (const handle of handles) {
    if (ref) handle?.ref?.();
    else handle?.unref?.();
  }
}

function runInWorker<T>(task: PdfTask, fileName: string | undefined, limits: PdfWorkerLimits): Promise<T> {
  const pooled = takeWorker(limits.maxHeapMb);
  const { child } = pooled;
  const id = nextId++;
  const starvedAfterMs = limits.starvedAfterLimits * limits.timeoutMs;
  const files = `task-${id}`;

  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: { value: T } | { error: unknown }, rss: number | null) => {
      if (settled) return;
      settled = true;
      stopWatch();
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      if (rss !== null) {
        spill.remove(files);
        returnWorker(pooled, rss);
      } else {
        // A worker killed while it wrote its answer's files could leave one behind the removal
        // (leaks review): they go once it is gone.
        if (child.exitCode !== null || child.signalCode !== null) spill.remove(files);
        else child.once('exit', () => spill.remove(files));
        child.kill('SIGKILL');
      }
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
    const stopWatch = watchTaskDeadline({
      limitMs: limits.timeoutMs, starvedAfterMs,
      sample: () => (child.pid === undefined ? null : sampleWorker(child.pid)),
      onOverLimit: () => settle({ error: tooComplexPdfError(fileName, `reading it takes more than ${seconds(limits.timeoutMs)}`) }, null),
      onStarved: (used) => settle({ error: starvedPdfWorkerError(fileName, used) }, null),
    });
    const onMessage = (reply: PdfTaskReply) => {
      if (reply.id !== id) return;
      if (!reply.ok) {
        settle({ error: deserialize(reply.error) }, reply.rss);
        return;
      }
      let value: T;
      try {
        value = unspillBytes(reply.value as T);
      } catch (err) {
        settle({ error: new Error(`the PDF worker's answer could not be read: ${describeError(err)}`, { cause: err }) }, reply.rss);
        return;
      }
      settle({ value }, reply.rss);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      // V8 aborts a process whose heap is full (SIGABRT, or exit code 134 through a shell).
      if (signal === 'SIGABRT' || code === 134 || /heap out of memory/i.test(pooled.stderrTail)) {
        settle({ error: tooComplexPdfError(fileName, `reading it needs more than ${limits.maxHeapMb} MB of memory`) }, null);
        return;
      }
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      const tail = pooled.stderrTail.trim().split('\n').slice(-3).join(' | ');
      // It could not start its readers (or Node refused its options, exit code 9): no PDF was read.
      if (code === WORKER_CANNOT_LOAD_EXIT || code === 9) {
        settle({ error: workerUnavailable(`the PDF worker could not start its PDF readers (${why}): ${errorLine(pooled.stderrTail) ?? 'it said nothing'} — check NODE_OPTIONS and the installation`, undefined) }, null);
        return;
      }
      // Killed from outside — under a memory limit, the kernel's OOM killer takes the worker
      // first (oom_score_adj): counted against the mail at the higher limit (with-attempt-limit.ts),
      // as a PDF may be what made it grow.
      const killed = signal === 'SIGKILL' ? ' — killed from outside, most likely for memory (MemoryMax=, dmesg): lower concurrency.pdf_workers or raise the limit'
        : signal !== null && OUTSIDE_SIGNALS.has(signal) ? ' — ended from outside' : '';
      const stopped = `the PDF worker stopped (${why}) before it answered${killed}${tail ? `: ${tail}` : ''}`;
      settle({ error: signal !== null && OUTSIDE_SIGNALS.has(signal) ? killedFromOutsideError('pdf_worker_killed', stopped) : new Error(stopped) }, null);
    };
    // The machine's failure, not the PDF's: the mail waits and is tried again, uncounted.
    const onError = (err: Error) => settle({ error: workerUnavailable(`the PDF worker failed: ${err.message}`, err) }, null);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', onError);
    let message: PdfTaskMessage;
    const largest = largestBytes(task);
    try {
      message = {
        id, task: spillBytes(task, spill.path, `${files}-in`), spillDir: spill.path(),
        maxBufferBytes: Math.max(limits.maxBufferBytes, 2 * largest),
      };
    } catch (err) {
      // The temp directory full, gone or not writable: the machine's failure, not the PDF's.
      settle({ error: workerUnavailable(`the PDF could not be handed to its worker through the temp directory ${spill.root()}: ${describeError(err)}`, err) }, 0);
      return;
    }
    if (!child.connected) {
      // fork gave a child without a channel: it could not start (too many open files, no memory).
      onError(new Error('it could not be started'));
      return;
    }
    // What reading a large PDF's mail left behind is given back before the worker's memory
    // grows with it (collect-garbage.ts): the two peaks would otherwise add up.
    if (largest >= COLLECT_AFTER_BYTES) collectGarbage();
    child.send(message, (err) => {
      if (err) onError(err);
    });
  });
}

function deserialize(error: SerializedError): Error {
  if (error.kind !== undefined && error.code !== undefined) {
    return new SignrelayError(error.kind, error.code, error.message, error.cause === undefined ? {} : { cause: new Error(error.cause) });
  }
  const Type = ({ RangeError, TypeError, SyntaxError } as Record<string, ErrorConstructor>)[error.name] ?? Error;
  const err = Object.assign(new Type(error.message), error.code === undefined ? {} : { code: error.code });
  if (error.stack) err.stack = error.stack;
  // A call of the machine's that failed in the worker (its temp directory full, pdftotext not
  // started for want of processes): never the PDF's fault, so not counted against the mail.
  return isErrnoCode(error.code) ? workerUnavailable(`the PDF worker failed: ${error.message}`, err) : err;
}

/** The line of a worker's stderr that says what went wrong, not the stack under it. */
function errorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^signrelay-pdf-worker:|^[A-Za-z]*Error\b|^node:|: (bad|invalid|unknown) option/i.test(l)) ?? lines.at(-1);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
