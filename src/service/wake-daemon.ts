// Operator commands that queue work (`retry`, `cancel`) wake the running daemon's job runner
// with SIGUSR2 instead of letting it find the job at its next look (30 s). lockHolder only
// names a live process whose command line is signrelay's (a pid file can outlive its process).
import { lockHolder } from '../store/data-dir-lock.ts';

/** The daemon's pid when one runs on this data dir (signalled if it is ours to signal). */
export function wakeDaemon(dataDir: string): number | undefined {
  const pid = lockHolder(dataDir);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    // Not ours to signal (another user): the daemon finds the job within 30 s anyway.
  }
  return pid;
}
