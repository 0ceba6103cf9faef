#!/usr/bin/env node
// signrelay's command line: src/commands/dispatch.ts on the process's own streams, its
// answer the exit code.
import { runSignrelay } from './commands/dispatch.ts';

// A reader that went away (`signrelay requests | head -1`, `check 2>&1 | grep -q ✗`): the
// rest of the output is dropped, the command finishes its work and exits with its own code.
// Unheard, the pipe's EPIPE was an uncaught 'error' event — Node's stack trace and exit 1,
// also after a `retry` had done its work. Another failure of the output (a full disk under
// `> FILE`) is said once on stderr and makes the exit 1: the output is incomplete. (The
// daemon's log output has its own listener: log-output.ts.)
let outputFailed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (outputFailed || err.code === 'EPIPE') return;
  outputFailed = true;
  if (!process.exitCode) process.exitCode = 1; // the command may have ended already
  process.stderr.write(`signrelay: the output cannot be written (${err.code ?? err.message}): it is incomplete\n`);
});
process.stderr.on('error', () => {});

void runSignrelay(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = outputFailed && code === 0 ? 1 : code;
});
