// A start the data dir cannot take yet: its disk full (SQLite needs room for its -shm file),
// or its database's write lock held by another process (an sqlite3 shell, a backup). The
// daemon used to exit at once — straight into systemd's start limit, the service failed for
// good though space came back, or the shell was closed, a minute later. It waits instead,
// says so once, and keeps systemd's start timeout from running out meanwhile; anything else
// that stops a start is thrown as before.
import { isSignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SystemdNotifier } from './sd-notify.ts';

/** How long a start waits between tries (a try under a held lock waits SQLite's busy timeout too). */
export const START_RETRY_MS = 10_000;

interface Wait {
  status: string;
  says: string;
}

/** What a start is waiting for, by the code of the error that stopped it; undefined when waiting would not help. */
function waitFor(code: string): Wait | undefined {
  if (code === 'data_dir_full' || code === 'storage_full') return { status: 'waiting for space in storage.data_dir', says: 'signrelay waits for space and starts then' };
  if (code === 'storage_busy') return { status: 'waiting for the write lock on signrelay.db', says: 'signrelay waits for the lock and starts then' };
  return undefined;
}

/** The service started, or undefined when `signal` (a stop asked for) ended a wait first. */
export async function startWhenStorageAllows<T>(start: () => Promise<T>, deps: {
  logger: () => Logger;
  notifier: () => Pick<SystemdNotifier, 'notify'>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}): Promise<T | undefined> {
  const sleep = deps.sleep ?? ((ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  }));
  const told = new Set<string>();
  for (;;) {
    try {
      return await start();
    } catch (err) {
      const wait = isSignrelayError(err) ? waitFor(err.code) : undefined;
      if (!wait) throw err;
      if (deps.signal?.aborted) return undefined;
      if (!told.has(wait.status)) deps.logger().warn(`${(err as Error).message}; ${wait.says}`);
      told.add(wait.status);
      deps.notifier().notify({ STATUS: wait.status, EXTEND_TIMEOUT_USEC: String(3 * START_RETRY_MS * 1000) });
      await sleep(START_RETRY_MS, deps.signal);
      if (deps.signal?.aborted) return undefined;
    }
  }
}
