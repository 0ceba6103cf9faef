#!/usr/bin/env node
// signrelay's command line: src/commands/dispatch.ts on the process's own streams, its
// answer the exit code.
import { runSignrelay } from './commands/dispatch.ts';

void runSignrelay(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
