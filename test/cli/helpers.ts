// Running `signrelay` the way users do: `node src/cli.ts …` as a child process, with a
// timeout, its exit code and both output streams captured. Long-running children (the
// daemon) are tracked so a failing test still stops them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { treeCpuMs } from '../support/child-pids.ts';
import { startStallClock } from '../support/stall-clock.ts';
import { waitFor } from '../support/wait-for.ts';
import { guardAgainstOrphan } from '../../src/orphan-guard.ts';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
export const REPO = new URL('../../', import.meta.url).pathname;
export const FIXTURES_MAIL = new URL('../../fixtures/mail/', import.meta.url).pathname;
const FIXED_CLOCK = new URL('./fixed-clock.ts', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The child's whole environment (default: PATH only, so nothing leaks in from the runner). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Freeze the child's clock at this instant (see fixed-clock.ts), for dates in fixtures. */
  now?: string;
}

/**
 * A bare environment: commands must work without any SIGNRELAY_* variable. Node's compile
 * cache and the run's TMPDIR (vitest.config.ts) are passed on: they change how fast a child
 * starts and where its temporary files go, nothing else.
 */
export function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const passed = Object.entries({ NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, TMPDIR: process.env.TMPDIR }).filter(([, value]) => value);
  return { PATH: process.env.PATH, ...Object.fromEntries(passed), ...extra };
}

function nodeArgs(args: string[], options: CliOptions): string[] {
  return [...(options.now ? ['--import', FIXED_CLOCK] : []), CLI, ...args];
}

function childEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env = options.env ?? bareEnv();
  return options.now ? { ...env, SIGNRELAY_TEST_NOW: options.now } : env;
}

/** However busy a child keeps, a wait for it ends after this (systemd's TimeoutStopSec in deploy/). */
export const EXIT_WAIT_CAP_MS = 60_000;
/** A one-shot command's cap: a cold stamp with a PDF worker on a loaded box is the longest. */
const RUN_CAP_MS = 150_000;
/** CPU time of the child and its descendants that counts as work done. */
const CPU_PROGRESS_MS = 250;

/**
 * Resolves once a child went `quietMs` without printing anything and without using
 * CPU_PROGRESS_MS of CPU (its PDF workers included), or `capMs` passed in all. Progress, not
 * the clock: a child that waits on nothing — a retry's timer, a reconnect's backoff, a call
 * that will never answer — falls silent and idle, while one a busy machine slows down still
 * works and logs (a loaded run took 2 s for an upload during a stop, and more than 20 s for
 * a cold `stamp`).
 */
function whenStuck(pid: number | undefined, lastOutputAt: () => number, quietMs: number, capMs: number): { stuck: Promise<void>; cancel(): void } {
  const clock = startStallClock(quietMs, capMs);
  let timer: NodeJS.Timeout | undefined;
  let cpu = pid === undefined ? 0 : treeCpuMs(pid);
  let worked = 0;
  const stuck = new Promise<void>((resolve) => {
    const look = () => {
      const used = pid === undefined ? 0 : treeCpuMs(pid);
      if (used - cpu >= CPU_PROGRESS_MS) {
        cpu = used;
        worked += 1;
      }
      clock.observe(`${lastOutputAt()}/${worked}`);
      if (clock.verdict() !== 'moving') {
        resolve();
        return;
      }
      timer = setTimeout(look, Math.min(250, quietMs));
    };
    look();
  });
  return { stuck, cancel: () => clearTimeout(timer) };
}

/**
 * Runs `signrelay ARGS` to completion; a child that went `timeoutMs` without output or CPU
 * work (whenStuck), or ran RUN_CAP_MS in all, is killed and fails the test.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(args, options), { cwd: REPO, env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastOutputAt = Date.now();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      lastOutputAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      lastOutputAt = Date.now();
    });
    const watch = whenStuck(child.pid, () => lastOutputAt, timeoutMs, Math.max(RUN_CAP_MS, timeoutMs));
    void watch.stuck.then(() => {
      child.kill('SIGKILL');
      reject(new Error(`signrelay ${args.join(' ')} was stuck: ${timeoutMs} ms without output or work (or ${Math.max(RUN_CAP_MS, timeoutMs)} ms in all); stderr: ${stderr}`));
    });
    child.on('error', (err) => {
      watch.cancel();
      reject(err);
    });
    child.on('close', (code, signal) => {
      watch.cancel();
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A stack frame line (`    at foo (file:…)`): expected failures must never print one. */
export const STACK_FRAME = /^\s+at\s/m;

/** The lines of a text, without the trailing empty one. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line, i, all) => !(i === all.length - 1 && line === ''));
}

/** One JSON log line of the daemon (winston's `format: json`). */
export type LogLine = Record<string, unknown> & { message?: string; level?: string };

export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code and signal; never rejects. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first JSON log line whose `message` is `match` (or that `match` accepts). */
  waitForLog(match: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
  logLines(): LogLine[];
  /** When the child last printed anything (Date.now()), or was started. */
  lastOutputAt(): number;
}

const running = new Set<ChildProcess>();

/** Starts a long-running `signrelay ARGS`; stop it with a signal, or with killAll() in afterAll. */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, nodeArgs(args, options), { cwd: REPO, env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  // A daemon must not outlive a test worker that crashes or is killed before afterAll.
  const watchdog = guardAgainstOrphan(child.pid!, 'signrelay-watchdog');
  // Once the child is gone its pid may be reused: the watchdog must not outlive it.
  child.once('exit', () => watchdog.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  let lastOutputAt = Date.now();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    lastOutputAt = Date.now();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    lastOutputAt = Date.now();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const logLines = () => linesOf(stdout).flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
  return {
    child,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    exited,
    logLines,
    lastOutputAt: () => lastOutputAt,
    waitForLog(match, timeoutMs = 15_000) {
      const accepts = typeof match === 'string' ? (line: LogLine) => line.message === match : match;
      const what = typeof match === 'string' ? `the log line "${match}"` : 'a matching log line';
      const seen = waitFor(() => logLines().find(accepts), { timeoutMs, what, describe: () => ({ stdout: stdout.slice(-2000), stderr }) });
      // A daemon that exits will never print it: fail now, with what it said.
      const died = exited.then(({ code, signal }) => logLines().find(accepts) ?? Promise.reject(
        new Error(`signrelay exited (${code ?? signal}) before printing ${what}; stderr: ${stderr}`)));
      return Promise.race([seen, died]);
    },
  };
}

/** Kills every child startCli() started that is still alive (afterAll / finally). */
export async function killAll(): Promise<void> {
  const children = [...running];
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGKILL');
  })));
}

/**
 * Resolves with the exit, or with 'timeout' once the child went `quietMs` without output or
 * CPU work and has not exited, or EXIT_WAIT_CAP_MS passed (whenStuck).
 */
export async function exitWithin(cli: RunningCli, quietMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
  const watch = whenStuck(cli.child.pid, cli.lastOutputAt, quietMs, EXIT_WAIT_CAP_MS);
  try {
    return await Promise.race([cli.exited, watch.stuck.then(() => 'timeout' as const)]);
  } finally {
    watch.cancel();
  }
}

export interface TempDir {
  path: string;
  file(name: string, content: string | Uint8Array): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(prefix = 'signrelay-cli-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async file(name, content) {
      const file = join(path, name);
      await writeFile(file, content);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/**
 * A minimal valid configuration (no secrets needed by `explain`); `extra` is appended as
 * more top-level YAML sections, so a test states only what it is about.
 */
export function minimalConfigYaml(extra: string, dataDir = '/nonexistent/signrelay-test'): string {
  return `mailboxes:
  requests: {host: imap.test.example, user: sign, password: not-used, address: sign@corp.example}
  returns: {address: returns@corp.example, folder: Returns}
smtp: {host: smtp.test.example, from: "signrelay <sign@corp.example>"}
provider: {api_key: k, api_secret: not-used, referer: https://corp.example}
servicenow: {instance_url: "https://acme.service-now.com", auth: {type: basic, user: signrelay.integration, password: not-used}}
records: {RITM: sc_req_item, HRC: sn_hr_core_case, INC: incident}
storage: {data_dir: ${dataDir}}
${extra}`;
}

/** What an operator command run in-process (as dispatch.ts runs it) wrote, and its exit code. */
export interface OperatorRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an operator command (`runStatusCommand`, `runShowCommand`, …) in this process with `--config configFile`, gathering its output. */
export async function runOperator(run: (args: string[], io: { stdout: Writable; stderr: Writable }) => Promise<number>, args: string[], configFile: string): Promise<OperatorRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) => new Writable({ write(chunk: Buffer, _encoding, done) { append(chunk.toString()); done(); } });
  const code = await run([...args, '--config', configFile], { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}
