// A start the data dir cannot take yet — its disk full, or its database's write lock held by
// another process — waits, said once per cause, systemd's start timeout extended at each try,
// instead of exiting into systemd's start limit; any other failure to start is thrown at once.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { START_RETRY_MS, startWhenStorageAllows } from '../../src/service/wait-for-storage.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';

const full = () => new SignrelayError('config', 'data_dir_full', 'the database /var/lib/signrelay/signrelay.db cannot be opened: storage.data_dir /var/lib/signrelay is full (ENOSPC): free space on its filesystem (disk I/O error)');
const locked = () => new SignrelayError('transient', 'storage_busy', 'storage.data_dir /var/lib/signrelay is locked: another process held a write lock on signrelay.db for longer than the 5 s signrelay waits for it (a second signrelay, a backup, an sqlite3 shell?) (SQLITE_BUSY: database is locked)');
const extend = String(3 * START_RETRY_MS * 1000);

async function startAfter(failures: Array<() => Error>) {
  const log = createTestLogger('info');
  const notes: Array<Record<string, string>> = [];
  const slept: number[] = [];
  let tries = 0;
  const started = await startWhenStorageAllows(async () => {
    const failure = failures[tries++];
    if (failure) throw failure();
    return 'running';
  }, { logger: () => log.logger, notifier: () => ({ notify: (state) => notes.push(state) }), sleep: async (ms) => void slept.push(ms) });
  return { started, notes, slept, warnings: log.entries.filter((entry) => entry.level === 'warn') };
}

describe('startWhenStorageAllows', () => {
  it('tries again while the data directory is full, and starts once there is space', async () => {
    const { started, notes, slept, warnings } = await startAfter([full, full]);
    expect(started).toBe('running');
    expect(slept).toEqual([START_RETRY_MS, START_RETRY_MS]);
    expect(notes).toEqual([{ STATUS: 'waiting for space in storage.data_dir', EXTEND_TIMEOUT_USEC: extend }, { STATUS: 'waiting for space in storage.data_dir', EXTEND_TIMEOUT_USEC: extend }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('is full (ENOSPC): free space on its filesystem (disk I/O error); signrelay waits for space and starts then');
  });

  it('tries again while another process holds the database\'s write lock, and says each cause once', async () => {
    const { started, notes, warnings } = await startAfter([locked, locked, full, locked]);
    expect(started).toBe('running');
    expect(notes.map((note) => note.STATUS)).toEqual(['waiting for the write lock on signrelay.db', 'waiting for the write lock on signrelay.db', 'waiting for space in storage.data_dir', 'waiting for the write lock on signrelay.db']);
    expect(warnings.map((entry) => entry.message)).toEqual([
      expect.stringMatching(/is locked: .* \(SQLITE_BUSY: database is locked\); signrelay waits for the lock and starts then$/),
      expect.stringMatching(/is full .*; signrelay waits for space and starts then$/),
    ]);
  });

  it('ends a wait when a stop is asked for (systemctl stop while it waits): nothing started, no try after it', async () => {
    const stop = new AbortController();
    let tries = 0;
    let sleeping: (() => void) | undefined;
    const waiting = startWhenStorageAllows(async () => {
      tries++;
      throw locked();
    }, {
      logger: () => createTestLogger('info').logger, notifier: () => ({ notify() {} }), signal: stop.signal,
      // A wait that ends only when told: by the stop's abort, as the real one's timer would.
      sleep: (_ms, signal) => new Promise<void>((resolve) => { sleeping = resolve; signal?.addEventListener('abort', () => resolve(), { once: true }); }),
    });
    await waitFor(() => sleeping !== undefined, { what: 'the first wait' });
    stop.abort();
    await expect(waiting).resolves.toBeUndefined();
    expect(tries).toBe(1);
  });

  it('throws anything else at once', async () => {
    const wrong = new SignrelayError('config', 'database_unusable', 'not a signrelay database');
    await expect(startWhenStorageAllows(async () => { throw wrong; }, { logger: () => { throw new Error('not to be told'); }, notifier: () => ({ notify() {} }), sleep: async () => {} })).rejects.toBe(wrong);
  });
});
