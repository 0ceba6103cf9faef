// When a PDF task is over its limit (task-deadline.ts): the time counted is the worker's own —
// CPU time, and time seen asleep — never its wait for a CPU, so a task slowed by a busy
// machine is not refused as "too complex", a spinning or hanging one is, and one starved of
// CPU for several times its limit is given up as the machine's fault. Timers are faked; the
// worker's samples are told by the test. Its own threads are its main thread and libuv's pool.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseThreadStat, reapedChildrenCpuMs, sampleWorker, SAMPLE_MS, watchTaskDeadline, workerSampleOf, type ThreadStat, type WorkerSample } from '../../src/pdf/task-deadline.ts';

const LIMIT = 1_000;
const STARVED_AFTER = 6_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A watch of a worker whose state the test sets; what it decided, in order. */
function watch(initial: WorkerSample | null) {
  let worker = initial;
  const decided: string[] = [];
  const cancel = watchTaskDeadline({
    limitMs: LIMIT, starvedAfterMs: STARVED_AFTER, sample: () => worker,
    onOverLimit: () => decided.push(`over limit at ${Date.now()}`),
    onStarved: ({ ownMs, wallMs }) => decided.push(`starved: own ${ownMs} ms in ${wallMs} ms`),
  });
  /** Lets `ms` pass, the worker using `cpuShare` of it on a CPU (the rest waiting for one, unless asleep). */
  const pass = (ms: number, how: { cpuShare?: number; asleep?: boolean } = {}) => {
    for (let t = 0; t < ms; t += SAMPLE_MS) {
      worker = worker && { cpuMs: worker.cpuMs + SAMPLE_MS * (how.cpuShare ?? 0), asleep: how.asleep ?? false };
      vi.advanceTimersByTime(SAMPLE_MS);
    }
  };
  return { decided, cancel, pass };
}

describe('the PDF task deadline', () => {
  // Share 2: CPU time counted twice as fast as the clock (threads working beside each other,
  // coarse ticks) — still never out before the limit has passed on the clock.
  it.each([1, 2])('refuses a task that spent its limit on a CPU, at the limit on the clock (CPU time counted at %sx the clock)', (cpuShare) => {
    vi.setSystemTime(0);
    const { decided, pass } = watch({ cpuMs: 5_000, asleep: false });
    pass(LIMIT - SAMPLE_MS, { cpuShare });
    expect(decided).toEqual([]);
    pass(SAMPLE_MS, { cpuShare });
    expect(decided).toEqual([`over limit at ${LIMIT}`]);
  });

  it('refuses a task whose worker sleeps its limit away (a parser awaiting what never comes)', () => {
    vi.setSystemTime(0);
    const { decided, pass } = watch({ cpuMs: 0, asleep: true });
    pass(LIMIT / 2, { cpuShare: 0.2 });
    pass(LIMIT, { asleep: true });
    expect(decided).toEqual([`over limit at ${LIMIT / 2 + 0.9 * LIMIT}`]);
  });

  it('does not count the time the worker waited for a CPU: a task slowed to a tenth runs on', () => {
    const { decided, pass } = watch({ cpuMs: 0, asleep: false });
    pass(5 * LIMIT, { cpuShare: 0.1 });
    expect(decided).toEqual([]);
  });

  it('gives a task up as starved when it could not use its limit before STARVED_AFTER passed', () => {
    const { decided, pass } = watch({ cpuMs: 0, asleep: false });
    pass(2 * STARVED_AFTER, { cpuShare: 0.1 });
    expect(decided).toEqual([`starved: own ${STARVED_AFTER * 0.1} ms in ${STARVED_AFTER} ms`]);
  });

  it('decides nothing once cancelled (the task answered)', () => {
    const { decided, cancel, pass } = watch({ cpuMs: 0, asleep: false });
    pass(LIMIT / 2, { cpuShare: 1 });
    cancel();
    pass(2 * STARVED_AFTER, { cpuShare: 1 });
    expect(decided).toEqual([]);
  });

  it('falls back to the clock where /proc does not tell', () => {
    vi.setSystemTime(0);
    const { decided } = watch(null);
    vi.advanceTimersByTime(LIMIT - 1);
    expect(decided).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(decided).toEqual([`over limit at ${LIMIT}`]);
  });
});

describe('the worker\'s own threads (workerSampleOf, parseThreadStat)', () => {
  const PID = 4242;
  const thread = (tid: number, comm: string, state: string, cpuMs: number): ThreadStat => ({ tid, comm, state, cpuMs });

  it('counts the CPU of the main thread and libuv\'s pool, not V8\'s threads', () => {
    const threads = [thread(PID, 'MainThread', 'S', 300), thread(4243, 'libuv-worker', 'S', 1_200), thread(4244, 'libuv-worker', 'S', 0), thread(4245, 'V8Worker', 'S', 5_000), thread(4246, 'SignalInspector', 'S', 10)];
    expect(workerSampleOf(PID, threads)).toEqual({ cpuMs: 1_500, asleep: true });
  });

  it('is not asleep while V8\'s threads finish a collection the main thread waits for (running, or waiting for a core)', () => {
    const threads = [thread(PID, 'MainThread', 'S', 300), thread(4243, 'libuv-worker', 'S', 1_200), thread(4245, 'V8Worker', 'R', 5_000), thread(4246, 'SignalInspector', 'S', 10)];
    expect(workerSampleOf(PID, threads)).toEqual({ cpuMs: 1_500, asleep: false });
  });

  it('is not asleep while the main thread awaits an inflate that runs, or waits for a core, in libuv\'s pool', () => {
    expect(workerSampleOf(PID, [thread(PID, 'MainThread', 'S', 300), thread(4243, 'libuv-worker', 'R', 1_200)])).toEqual({ cpuMs: 1_500, asleep: false });
    expect(workerSampleOf(PID, [thread(PID, 'MainThread', 'R', 300), thread(4243, 'libuv-worker', 'S', 0)])).toEqual({ cpuMs: 300, asleep: false });
  });

  it('counts its children\'s work as its own (the second PDF reader it awaits), running or reaped', () => {
    const main = thread(PID, 'MainThread', 'S', 300);
    const pdftotext = thread(5000, 'pdftotext', 'R', 700);
    expect(workerSampleOf(PID, [main], { running: [pdftotext], reapedCpuMs: 0 })).toEqual({ cpuMs: 1_000, asleep: false });
    // Once reaped, its time is the parent's cutime + cstime: the total does not drop.
    expect(workerSampleOf(PID, [main], { running: [], reapedCpuMs: 700 })).toEqual({ cpuMs: 1_000, asleep: true });
    expect(reapedChildrenCpuMs(`${PID} (node) S 1 2 3 4 5 6 7 8 9 10 120 35 40 30 0`)).toBe(700);
  });

  it('sees a live child process of this one: its CPU counted while it runs, and once reaped', async () => {
    vi.useRealTimers();
    const before = sampleWorker(process.pid)!;
    const child = spawn('sh', ['-c', 'i=0; while :; do i=$((i + 1)); done']);
    try {
      // Once the child has used 300 ms of CPU by its own account, this process's sample holds them.
      const childCpuMs = () => parseThreadStat(child.pid!, readFileSync(`/proc/${child.pid}/stat`, 'utf8'))!.cpuMs;
      await new Promise<void>((resolve) => {
        const look = () => (childCpuMs() >= 300 ? resolve() : setTimeout(look, 20));
        look();
      });
      const running = sampleWorker(process.pid)!;
      // (Not asleep is told by workerSampleOf above: sampled from inside, this process's own thread is always running.)
      expect(running.cpuMs - before.cpuMs).toBeGreaterThanOrEqual(300);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
    }
    // Reaped: its time stays counted.
    expect(sampleWorker(process.pid)!.cpuMs - before.cpuMs).toBeGreaterThanOrEqual(300);
  });

  it('tells nothing without the main thread (the process is going away)', () => {
    expect(workerSampleOf(PID, [thread(4243, 'libuv-worker', 'R', 1_200)])).toBeNull();
  });

  it('reads a stat line whose name holds spaces and parentheses', () => {
    const stat = `${PID} (a (b) c) R 1 2 3 4 5 6 7 8 9 10 120 35 0 0`;
    expect(parseThreadStat(PID, stat)).toEqual({ tid: PID, comm: 'a (b) c', state: 'R', cpuMs: 1_550 });
    expect(parseThreadStat(PID, 'garbage')).toBeNull();
  });
});
