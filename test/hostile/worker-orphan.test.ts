// A daemon killed with SIGKILL cannot kill its PDF worker, and a parser in a loop never lets
// the worker notice that its IPC channel closed: the worker's guard (src/orphan-guard.ts) must end
// it, and then end itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { guardAgainstOrphan } from '../../src/orphan-guard.ts';
import { waitFor } from '../support/wait-for.ts';

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/** CPU time used, in clock ticks (utime + stime of /proc/PID/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Running: exists and is not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

it.each([
  ['its daemon is SIGKILLed', (daemon: ChildProcess) => daemon.kill('SIGKILL')],
  // Ctrl-C at a terminal: SIGINT to the whole foreground group. The worker ignores it (the daemon
  // finishes the task in hand), so its guard must outlive it too — else a command without a
  // SIGINT handler (explain, stamp) leaves a worker stuck in a PDF spinning for ever.
  ['Ctrl-C reaches its whole process group', (daemon: ChildProcess) => process.kill(-daemon.pid!, 'SIGINT')],
])('a PDF worker busy with a spinning PDF ends itself when %s', async (_, end) => {
  const daemon = spawn(process.execPath, [fileURLToPath(new URL('./parse-forever.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  try {
    await new Promise<void>((resolve) => daemon.stdout.once('data', () => resolve()));
    const isWorker = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('pdf-worker');
    const worker = await waitFor(() => childrenOf(daemon.pid!).find(isWorker), { timeoutMs: 5_000, what: 'the PDF worker started' });
    const guard = childrenOf(daemon.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('signrelay-pdf-guard'));
    expect(guard).toBeDefined();
    // Let it get stuck in the parser: busy, half a CPU-second into the PDF (past its start-up).
    await waitFor(() => /^State:\s+R/m.test(readFileSync(`/proc/${worker}/status`, 'latin1')) && cpuTicks(worker) > 50, { timeoutMs: 20_000, what: 'the worker busy in the PDF' });
    end(daemon);
    await waitFor(() => !isRunning(worker), {
      timeoutMs: 5_000, what: `worker ${worker} gone after its daemon was killed`,
      describe: () => [readFileSync(`/proc/${worker}/status`, 'latin1').split('\n').filter((l) => /^(State|PPid|Threads)/.test(l)), readdirSync(`/proc/${worker}/task`).map((t) => readFileSync(`/proc/${worker}/task/${t}/comm`, 'latin1').trim())],
    });
    await waitFor(() => !isRunning(guard!), { timeoutMs: 5_000, what: `the guard ${guard} gone after the worker` });
  } finally {
    daemon.kill('SIGKILL');
  }
});

it('a guard that cannot be started says so (the pool counts such workers for /metrics), and leaves the process alone', async () => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const unguarded = await new Promise<Error>((resolve) => guardAgainstOrphan(sleeper.pid!, 'no-guard', { shell: '/nonexistent/sh', onUnguarded: resolve }));
    expect((unguarded as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(isRunning(sleeper.pid!)).toBe(true);
  } finally {
    sleeper.kill('SIGKILL');
  }
});
