// Operator commands that queue work (`retry`, `cancel`) wake the running daemon's job runner
// with SIGUSR2 instead of letting it find the job at its next look (30 s). A pid file can
// outlive its process and the pid be reused: only a process whose command line is
// signrelay's gets the signal.
import { readFileSync } from 'node:fs';
import { lockHolder } from '../store/data-dir-lock.ts';

/** The daemon's pid when one runs on this data dir (signalled if it is ours to signal). */
export function wakeDaemon(dataDir: string): number | undefined {
  const pid = lockHolder(dataDir);
  if (pid === undefined) return undefined;
  try {
    if (!/signrelay|src\/cli\.ts/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return undefined;
    process.kill(pid, 'SIGUSR2');
  } catch {
    // Not ours to signal (another user): the daemon finds the job within 30 s anyway.
  }
  return pid;
}
