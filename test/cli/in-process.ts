// Running a `signrelay` command in the test's own process (src/commands/dispatch.ts), for
// commands that do their work and return — explain, init, check, the operator commands — where a child process
// would prove nothing that test/cli/basics.test.ts does not (the launcher, the exit code
// reaching the shell, signals). The same CliResult as runCli, from the same dispatch the
// command line uses: one line for an expected failure, a stack trace only for a bug.
import { Readable, Writable } from 'node:stream';
import { vi } from 'vitest';
import { runSignrelay } from '../../src/commands/dispatch.ts';
import { bareEnv, type CliResult } from './helpers.ts';

export interface InProcessOptions {
  /** The command's whole environment while it runs (default: PATH only, as runCli's child). */
  env?: NodeJS.ProcessEnv;
  /** The clock's instant while it runs, for dates in fixtures (Date only; timers stay real). */
  now?: string;
  /** What the command reads from standard input (init --prompt); default: none. */
  stdin?: NodeJS.ReadableStream;
}

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs `signrelay ARGS` in process. The environment is swapped for the call and put back
 * after it, so calls must not overlap (vitest runs a file's tests one after the other).
 */
export async function runInProcess(args: string[], options: InProcessOptions = {}): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const saved = process.env;
  process.env = { ...(options.env ?? bareEnv()) };
  if (options.now) vi.setSystemTime(new Date(options.now));
  try {
    const io = { stdout: stdout.stream, stderr: stderr.stream, stdin: options.stdin ?? Readable.from([]) };
    const code = await runSignrelay(args, io);
    return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    process.env = saved;
    if (options.now) vi.useRealTimers();
  }
}
