// A child process must not outlive the process that started it. A process killed itself
// (SIGKILL, the OOM killer) kills nothing, and a child whose event loop is stuck (a PDF
// parser in a loop) never sees its IPC channel close. So the child gets a guard: a shell
// blocked reading a pipe whose other end only its parent holds. When the parent is gone,
// however it went, the kernel closes that end, the read returns, and the shell signals the
// child. The daemon guards its PDF workers so (pdf-pool.ts); the tests and the bench guard
// the daemons and Dovecots they start.
//
// It costs ~1.6 MB. The watchdog thread inside each PDF worker it replaced cost ~13 MB: a
// thread has a whole Node environment of its own (the idle worker measured 127.2 MB with it,
// 114.0 MB without). Kill the guard when the child exits, so that a guard whose child is gone
// does not linger to signal its PID once the system has given it to another process. (When
// parent and child end together, the guard's kill comes within milliseconds of the child's
// exit, far too soon for a PID to be given out again.)
import { spawn, type ChildProcess } from 'node:child_process';

// Deaf to the signals a whole process group gets (Ctrl-C at a terminal, a stop of the group):
// the child it guards may ignore them (a PDF worker finishes its task for the daemon), and
// the guard must outlive the parent they end. Its owner ends it with SIGKILL.
const GUARD = 'trap "" INT TERM HUP QUIT; read _ ; kill -"$2" "$1" 2>/dev/null';

export interface GuardOptions {
  signal?: 'KILL' | 'TERM';
  /** Called when the guard could not be started (no shell, no process left): the process then runs unguarded. */
  onUnguarded?: (err: Error) => void;
  /** The shell that runs the guard (a test names one that does not exist). */
  shell?: string;
}

/** Starts the guard of the process `pid`, named `name` in ps; kill it (SIGKILL) once that process has exited. */
export function guardAgainstOrphan(pid: number, name: string, options: GuardOptions = {}): ChildProcess {
  const guard = spawn(options.shell ?? '/bin/sh', ['-c', GUARD, name, String(pid), options.signal ?? 'KILL'], { stdio: ['pipe', 'ignore', 'ignore'] });
  guard.on('error', (err) => options.onUnguarded?.(err));
  guard.stdin!.on('error', () => {});
  // Neither keeps this process's event loop alive: a process at its end exits, and that is the guard's cue.
  guard.unref();
  (guard.stdin as unknown as { unref?: () => void }).unref?.();
  return guard;
}
