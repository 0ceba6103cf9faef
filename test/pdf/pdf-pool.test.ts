// The daemon's warm PDF worker pool (pdf-pool.ts), from the outside: workers started before
// the first task, one kept ready beside a running task up to the pool's size, the extra
// ones ended and a worker that worked replaced by a fresh one after the idle time, a worker
// that dies (idle or in a task) replaced at once with the task answered, and recycling
// after N tasks or past the memory limit; a worker that cannot start is retried after a growing pause; a task's time
// limit does not count the worker's wait for a CPU, and a hang is refused. Waits are on the pool's own status, not on time.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { inspectPdf, readTokenFromPdf, stampPdf } from '../../src/pdf/pdf-tasks.ts';
import { SPILL_MIN_BYTES } from '../../src/pdf/spill-bytes.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import { endIdlePdfWorkers, IDLE_MS, pdfPoolStatus, startPdfPool, stopPdfPool } from '../../src/pdf/pdf-pool.ts';
import { JEMALLOC, MALLOC_SETTINGS } from '../../src/native-memory.ts';
import { sampleWorker } from '../../src/pdf/task-deadline.ts';
import { plainPdf } from '../hostile/make-hostile-pdf.ts';
import { scannedPdf } from './make-pdf.ts';
import { isAlive as alive } from '../support/child-pids.ts';

const LIMITS = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'contract.pdf' };
const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';

function stampInput(): StampInput {
  return {
    token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C',
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
    request: { fileName: 'scan.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
    stamping: configSchema.shape.stamping.parse(undefined),
  };
}

const WAIT = { timeout: 60_000, interval: 20 };

// Each test starts with no worker: none left by the file before (file-hygiene.ts leaves them), none by the test before.
beforeEach(() => {
  endIdlePdfWorkers();
});
afterEach(() => {
  stopPdfPool();
  endIdlePdfWorkers();
});

async function inspect(): Promise<number> {
  const facts = await inspectPdf(await plainPdf(), LIMITS);
  return facts.pages;
}

describe('the warm PDF worker pool', () => {
  it('has a worker started before the first task, and starts another only for a task that finds none idle', async () => {
    startPdfPool({ workers: 2, minWorkers: 1, idleMs: 60_000 });
    expect(pdfPoolStatus()).toMatchObject({ warm: true, idle: 1, busy: 0, started: expect.any(Number) });
    const before = pdfPoolStatus().started;
    const bytes = await plainPdf();
    // A task takes a worker as it is asked for (before its first await): the status is read in between.
    const first = inspectPdf(bytes, LIMITS);
    // It took the warm worker, and no spare was started beside it.
    expect(pdfPoolStatus()).toMatchObject({ busy: 1, idle: 0, started: before });
    // A second task at the same time finds none idle and starts its own.
    const second = inspectPdf(bytes, LIMITS);
    expect(pdfPoolStatus()).toMatchObject({ busy: 2, idle: 0, started: before + 1 });
    expect((await Promise.all([first, second])).map((facts) => facts.pages)).toEqual([1, 1]);
    expect(pdfPoolStatus()).toMatchObject({ busy: 0, idle: 2 });
  });

  it('never starts more than its size, and answers every task', async () => {
    startPdfPool({ workers: 2, minWorkers: 1, idleMs: 60_000 });
    const bytes = await plainPdf();
    const before = pdfPoolStatus().started;
    // Six asked for at once: two take a worker each (one started for the second), four wait in line.
    const tasks = Array.from({ length: 6 }, () => inspectPdf(bytes, LIMITS));
    expect(pdfPoolStatus()).toMatchObject({ busy: 2, waiting: 4, started: before + 1 });
    expect((await Promise.all(tasks)).map((facts) => facts.pages)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(pdfPoolStatus()).toMatchObject({ busy: 0, idle: 2 });
  });

  it('starts its workers with glibc\'s allocator set, without the jemalloc the service unit preloads into the daemon (native-memory.ts), and with a small young generation', async () => {
    const preload = process.env.LD_PRELOAD;
    // As under the unit: the daemon has jemalloc in LD_PRELOAD (whether or not this machine has it installed).
    process.env.LD_PRELOAD = `${JEMALLOC}`;
    try {
      startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
      await inspect();
    } finally {
      if (preload === undefined) delete process.env.LD_PRELOAD;
      else process.env.LD_PRELOAD = preload;
    }
    const [pid] = pdfPoolStatus().pids;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    for (const [name, value] of Object.entries(MALLOC_SETTINGS)) expect(environ).toContain(`${name}=${value}`);
    expect(environ.filter((entry) => entry.startsWith('LD_PRELOAD='))).toEqual(preload ? [`LD_PRELOAD=${preload}`] : []);
    expect(readFileSync(`/proc/${pid}/maps`, 'utf8')).not.toMatch(/libjemalloc/);
    // A young generation kept small: a burst would otherwise leave tens of MB of it resident.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=2');
    // Under a memory limit the OOM killer takes a worker before the daemon.
    expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe('500');
    expect(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()).toBe('0');
  });

  it('after the idle time ends the extra workers and replaces the one that worked by a fresh one', async () => {
    startPdfPool({ workers: 2, minWorkers: 1, idleMs: 60_000 });
    // Both asked for at once (each takes its worker as it is asked for): two workers work.
    const bytes = await plainPdf();
    await Promise.all([inspectPdf(bytes, LIMITS), inspectPdf(bytes, LIMITS)]);
    const worked = pdfPoolStatus().pids;
    expect(worked).toHaveLength(2);
    // The idle time made short only now (a pool started again takes its idle workers and
    // their time afresh): one task finishing long before the other on a busy machine must
    // not have ended its worker before both are counted.
    startPdfPool({ workers: 2, minWorkers: 1, idleMs: 300 });
    await expect.poll(() => pdfPoolStatus().pids.filter((pid) => worked.includes(pid)), WAIT).toEqual([]);
    expect(pdfPoolStatus().idle).toBe(1);
    await expect.poll(() => worked.filter(alive), WAIT).toEqual([]);
    // The fresh worker, never used, stays.
    const fresh = pdfPoolStatus().pids;
    await inspect();
    expect(fresh.every(alive)).toBe(true);
  });

  it('replaces an idle worker that dies at once', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [first] = pdfPoolStatus().pids;
    process.kill(first!, 'SIGKILL');
    await expect.poll(() => pdfPoolStatus().pids, WAIT).not.toContain(first);
    expect(pdfPoolStatus().idle).toBe(1);
    expect(await inspect()).toBe(1);
  });

  it('lives through SIGTERM and SIGINT (a whole unit or terminal group stopped): the task in hand is answered, the worker stays', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [worker] = pdfPoolStatus().pids;
    expect(await inspect()).toBe(1); // running: its handlers are in place
    const task = inspect();
    await expect.poll(() => pdfPoolStatus().busy, WAIT).toBe(1);
    process.kill(worker!, 'SIGTERM');
    process.kill(worker!, 'SIGINT');
    expect(await task).toBe(1);
    expect(await inspect()).toBe(1);
    expect(alive(worker!)).toBe(true);
    expect(pdfPoolStatus().pids).toEqual([worker]);
  });

  it('answers a task whose worker another signal ends from outside as the machine\'s, tried again', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [worker] = pdfPoolStatus().pids;
    const task = inspect();
    await expect.poll(() => pdfPoolStatus().busy, WAIT).toBe(1);
    process.kill(worker!, 'SIGHUP');
    await expect(task).rejects.toMatchObject({ kind: 'transient', code: expect.stringMatching(/^(pdf_worker_killed|pdf_worker_unavailable)$/) });
    expect(await inspect()).toBe(1);
  });

  it('answers a task whose worker is killed under it, and the next task is read normally', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [worker] = pdfPoolStatus().pids;
    const task = inspect();
    await expect.poll(() => pdfPoolStatus().busy, WAIT).toBe(1);
    process.kill(worker!, 'SIGKILL');
    // Killed while reading the task or before it arrived: either way an answer, not a hang.
    await expect(task).rejects.toThrow(/^the PDF worker (stopped \(signal SIGKILL\) before it answered|failed: write EPIPE)/);
    // Either way the machine's (or a file's that made it grow), tried again: never a refusal of the PDF.
    await expect(task).rejects.toMatchObject({ kind: 'transient', code: expect.stringMatching(/^(pdf_worker_killed|pdf_worker_unavailable)$/) });
    expect(await inspect()).toBe(1);
    await expect.poll(() => pdfPoolStatus().idle, WAIT).toBe(1);
  });

  it('recycles a worker after maxTasksPerWorker tasks', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000, maxTasksPerWorker: 2 });
    const [first] = pdfPoolStatus().pids;
    await inspect();
    expect(pdfPoolStatus().pids).toEqual([first]);
    await inspect();
    expect(pdfPoolStatus().pids).not.toContain(first);
    expect(pdfPoolStatus().idle).toBe(1);
  });

  it('recycles a worker whose memory grew past maxWorkerRssMb', async () => {
    // Every worker is above 1 MB: each task's worker is replaced after it.
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000, maxWorkerRssMb: 1 });
    const started = pdfPoolStatus().started;
    await inspect();
    await inspect();
    expect(pdfPoolStatus().started).toBe(started + 2);
    expect(pdfPoolStatus().idle).toBe(1);
  });

  it('restarts a worker that cannot start after a growing pause, not in a tight loop', async () => {
    // Every worker dies as it starts (as a broken install or a bad Node flag would make it).
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-pool-'));
    const dies = join(dir, 'dies.cjs');
    writeFileSync(dies, 'process.exit(1);\n');
    const options = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${options ?? ''} --require ${dies}`.trim();
    try {
      const startedAt = Date.now();
      const before = pdfPoolStatus().started;
      startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
      await expect.poll(() => pdfPoolStatus().started - before, WAIT).toBeGreaterThanOrEqual(5);
      // Pauses of 0.25, 0.5, 1 and 2 s between the five starts: a tight loop takes a fraction of that.
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3_500);
    } finally {
      stopPdfPool();
      if (options === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = options;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not count its wait for a CPU against a task: one starved of CPU is given up as the machine\'s fault (tried again), not refused', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [worker] = pdfPoolStatus().pids;
    expect(sampleWorker(worker!)).toEqual({ cpuMs: expect.any(Number), asleep: expect.any(Boolean) });
    // The worker shares one core with two busy processes, at the lowest priority: it gets
    // under 1 % of the core, and waits for it nearly all the time.
    const hogs = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    try {
      for (const pid of [worker!, ...hogs.map((hog) => hog.pid!)]) execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
      setPriority(worker!, 19);
      const error = await inspectPdf(await plainPdf(), LIMITS, { timeoutMs: 300 }).then(() => null, (err: unknown) => err);
      expect(error).toMatchObject({ kind: 'transient', code: 'pdf_worker_starved' });
      expect((error as Error).message).toMatch(/^contract\.pdf was not read: in \d+\.\d s the PDF worker got a CPU for only 0\.\d s, the machine is too busy; it is tried again later$/);
    } finally {
      for (const hog of hogs) hog.kill('SIGKILL');
    }
    // The starved worker was ended and a fresh one reads the next PDF.
    await expect.poll(() => alive(worker!), WAIT).toBe(false);
    expect(await inspect()).toBe(1);
  });

  it('refuses a task whose worker neither runs nor waits for a CPU (hangs) once its time is up', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [worker] = pdfPoolStatus().pids;
    process.kill(worker!, 'SIGSTOP');
    const error = await inspectPdf(await plainPdf(), LIMITS, { timeoutMs: 500 }).then(() => null, (err: unknown) => err);
    expect(error).toMatchObject({ kind: 'input', code: 'pdf_too_complex' });
    expect((error as Error).message).toContain('reading it takes more than 0.5 s');
    await expect.poll(() => alive(worker!), WAIT).toBe(false);
    expect(sampleWorker(worker!)).toBeNull();
  });

  it('hands a large PDF to its worker and takes the stamped one back as files, and leaves none behind', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    expect(await inspect()).toBe(1);
    // The spill directory (spill-bytes.ts) is this process's, under the run's TMPDIR; watch what passes through it.
    const [dir, ...more] = readdirSync(tmpdir()).filter((name) => name.startsWith(`signrelay-pdf-${process.pid}-`));
    expect(more).toEqual([]);
    const seen = new Set<string>();
    const watcher = watch(join(tmpdir(), dir!), (_event, name) => name && seen.add(name.replace(/^task-\d+-/, 'task-N-')));
    try {
      const big = await scannedPdf(SPILL_MIN_BYTES + 100_000);
      const stamped = await stampPdf(big, stampInput());
      expect(stamped.byteLength).toBeGreaterThan(big.byteLength);
      expect(await readTokenFromPdf(stamped)).toBe(TOKEN);
      await expect.poll(() => [...seen].sort(), WAIT).toEqual(['task-N-in-0', 'task-N-out-0']);
    } finally {
      watcher.close();
    }
    expect(readdirSync(join(tmpdir(), dir!))).toEqual([]);
  });

  it('leaves its idle workers to a pool started again (a reload), and ends them when asked', async () => {
    startPdfPool({ workers: 2, minWorkers: 2, idleMs: 60_000 });
    const pids = pdfPoolStatus().pids;
    const started = pdfPoolStatus().started;
    expect(pids).toHaveLength(2);
    stopPdfPool();
    expect(pdfPoolStatus()).toMatchObject({ warm: false, idle: 2, pids });
    startPdfPool({ workers: 2, minWorkers: 2, idleMs: 60_000 });
    expect(pdfPoolStatus()).toMatchObject({ warm: true, idle: 2, pids, started });
    expect(await inspect()).toBe(1);
    stopPdfPool();
    endIdlePdfWorkers();
    expect(pdfPoolStatus()).toMatchObject({ warm: false, idle: 0 });
    await expect.poll(() => pids.filter(alive), WAIT).toEqual([]);
  });

  it('ends a worker left idle by a stop once IDLE_MS has passed without a task', async () => {
    startPdfPool({ workers: 1, minWorkers: 1, idleMs: 60_000 });
    const [pid] = pdfPoolStatus().pids;
    stopPdfPool();
    const stoppedAt = Date.now();
    expect(pdfPoolStatus()).toMatchObject({ idle: 1, pids: [pid] });
    await expect.poll(() => alive(pid!), WAIT).toBe(false);
    expect(pdfPoolStatus().idle).toBe(0);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(IDLE_MS);
  });
});
