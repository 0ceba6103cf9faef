// A PDF worker must not outlive its daemon. The daemon kills a worker past its limits, but a
// daemon killed itself (SIGKILL, the OOM killer) kills nothing, and a worker whose parser is
// in a loop never lets its event loop see the IPC channel close. So each worker has a guard:
// a shell blocked reading a pipe whose other end only the daemon holds. When the daemon is
// gone, however it went, the kernel closes that end, the read returns, and the shell kills the
// worker. It costs ~1.6 MB. The watchdog thread inside the worker it replaced cost ~13 MB: a
// thread has a whole Node environment of its own (the idle worker measured 127.2 MB with it,
// 114.0 MB without). The daemon ends the guard when the worker exits, so a guard whose worker
// is gone does not linger to kill its PID once the system has given it to another process.
// (When the daemon and its idle workers end together, the guard's kill comes within
// milliseconds of the worker's exit, far too soon for a PID to be given out again.)
import { spawn, type ChildProcess } from 'node:child_process';

const GUARD = 'read _ ; kill -KILL "$1" 2>/dev/null';

/** Starts the guard of the process `pid`; kill it (SIGKILL) once that process has exited. */
export function guardAgainstOrphan(pid: number): ChildProcess {
  const guard = spawn('/bin/sh', ['-c', GUARD, 'signrelay-pdf-guard', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  guard.on('error', () => {});
  guard.stdin!.on('error', () => {});
  // Neither keeps the daemon's event loop alive: a daemon at its end exits, and that is the guard's cue.
  guard.unref();
  (guard.stdin as unknown as { unref?: () => void }).unref?.();
  return guard;
}
