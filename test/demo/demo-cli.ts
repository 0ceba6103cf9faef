// Running `signrelay demo` as the user does (`node src/cli.ts demo …`: a child process) and
// reading what it prints: the directory it kept (removed after the tests), its steps in
// order, and their times.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/**
 * A demo that prints nothing for this long is stuck and killed. Its own deadline (30 s without
 * a step) ends a stuck loop first; this one also covers Node's and the servers' start-up, which
 * on a busy box (two suites at once) can take longer than that.
 */
const DEMO_SILENT_MS = 40_000;
/** The test's own timeout: the demo's deadline, its start-up on a busy box, and its kill. */
export const DEMO_TIMEOUT_MS = 150_000;
const leftovers: string[] = [];

afterAll(() => {
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
});

export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer = setTimeout(() => child.kill('SIGKILL'), DEMO_SILENT_MS);
    const heard = () => {
      clearTimeout(timer);
      timer = setTimeout(() => child.kill('SIGKILL'), DEMO_SILENT_MS);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      heard();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      heard();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The temporary directory the demo reports, remembered for clean-up. */
export function demoRoot(stdout: string): string {
  const root = /delete them with: rm -rf (\S+)\)|Files: (\S+) was deleted/.exec(stdout);
  expect(root, stdout).not.toBeNull();
  const dir = root![1] ?? root![2]!;
  leftovers.push(dir);
  return dir;
}

const AT = String.raw`^ +\d+\.\d\ds {2}`;

/** A printed step: its time, then `text`. */
export const step = (text: string, flags = 'm') => new RegExp(`${AT}${text}`, flags);

/** Each pattern is found after the one before; returns where each match ended. */
export function expectInOrder(stdout: string, patterns: RegExp[], from = 0): number[] {
  const ends: number[] = [];
  for (const expected of patterns) {
    const found = expected.exec(stdout.slice(from));
    expect(found, `${expected} after offset ${from} in:\n${stdout}`).not.toBeNull();
    from += found!.index + found![0].length;
    ends.push(from);
  }
  return ends;
}

/** The printed times are offsets from the start and never go backwards; returns how many there are. */
export function expectTimesInOrder(stdout: string): number {
  const times = [...stdout.matchAll(/^ +(\d+\.\d\d)s {2}/gm)].map((m) => Number(m[1]));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  return times.length;
}
