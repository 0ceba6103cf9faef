// One `signrelay run` child, started as an operator would (bin/signrelay.mjs), its output
// in a log file. It never outlives the bench: a shell blocks reading a pipe from us and
// kills it when we are gone (a crash, ^C). stop() is the graceful SIGTERM, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { guardAgainstOrphan } from '../../src/orphan-guard.ts';

const LAUNCHER = new URL('../../bin/signrelay.mjs', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;

export interface Daemon {
  pid: number;
  /** Date.now() just before spawn. */
  spawnedAt: number;
  logFile: string;
  running(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnDaemon(configFile: string, logFile: string, env: NodeJS.ProcessEnv): Daemon {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  const spawnedAt = Date.now();
  try {
    child = spawn(process.execPath, [LAUNCHER, 'run', '--config', configFile], { cwd: REPO, env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const watchdog = guardAgainstOrphan(child.pid!, 'signrelay-bench-watchdog');
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      watchdog.kill('SIGKILL');
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid!, spawnedAt, logFile, exited,
    running: () => alive,
    async stop(graceMs = 15_000) {
      if (!alive) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
