// A start on a full disk: the daemon cannot open its database (SQLite needs room for its
// -shm file) and used to exit at once — straight into systemd's start limit, the service
// failed for good though space came back a minute later. It waits instead, says so once,
// and keeps systemd's start timeout from running out meanwhile; anything else that stops a
// start is thrown as before.
import { isSignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SystemdNotifier } from './sd-notify.ts';

/** How often a start waiting for space tries again. */
export const SPACE_RETRY_MS = 10_000;

export async function startWhenThereIsSpace<T>(start: () => Promise<T>, deps: {
  logger: () => Logger;
  notifier: () => Pick<SystemdNotifier, 'notify'>;
  sleep?: (ms: number) => Promise<void>;
}): Promise<T> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let told = false;
  for (;;) {
    try {
      return await start();
    } catch (err) {
      if (!isSignrelayError(err) || err.code !== 'data_dir_full') throw err;
      if (!told) deps.logger().warn(`${err.message}; signrelay waits for space and starts then`);
      told = true;
      deps.notifier().notify({ STATUS: 'waiting for space in storage.data_dir', EXTEND_TIMEOUT_USEC: String(3 * SPACE_RETRY_MS * 1000) });
      await sleep(SPACE_RETRY_MS);
    }
  }
}
