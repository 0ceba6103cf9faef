// sampleWorker on a real process (task-deadline.ts): a Node process whose main thread awaits
// zlib work in libuv's pool — as a PDF worker awaits the inflate of a large stream — is not
// asleep, and the pool's CPU is its own. (Counting its main thread alone took that await
// for sleep: a busy machine's slow inflate was refused as a too complex PDF.)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { sampleWorker } from '../../src/pdf/task-deadline.ts';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The main thread's state and CPU ms, as /proc tells them. */
function mainThread(pid: number): { state: string; cpuMs: number } {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 };
}

it('counts the CPU of libuv\'s pool, and a main thread awaiting it is not asleep', async () => {
  const child = spawn(process.execPath, ['-e', `
    const zlib = require('node:zlib');
    const data = require('node:crypto').randomBytes(32 * 1024 * 1024);
    (async () => {
      process.stdout.write('ready\\n');
      for (;;) await new Promise((resolve) => zlib.deflate(data, { level: 9 }, resolve));
    })();`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await once(child.stdout!, 'data');
  const pid = child.pid!;
  const first = sampleWorker(pid)!;
  const firstMain = mainThread(pid);
  // Waits on progress, not on the clock: until the process has spent a second of its own.
  let awakeWhileMainSleeps = 0;
  let last = first;
  while (last.cpuMs - first.cpuMs < 1_000 || awakeWhileMainSleeps === 0) {
    await sleep(20);
    const main = mainThread(pid);
    last = sampleWorker(pid)!;
    if (!last.asleep && main.state !== 'R') awakeWhileMainSleeps++;
  }
  // Most of that second was the pool's: the main thread only waited for it.
  expect(mainThread(pid).cpuMs - firstMain.cpuMs).toBeLessThan((last.cpuMs - first.cpuMs) / 2);
});
