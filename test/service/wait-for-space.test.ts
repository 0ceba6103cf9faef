// A start on a full disk waits for space — said once, systemd's start timeout extended at
// each try — instead of exiting into systemd's start limit; any other failure to start is
// thrown at once, as before.
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { SPACE_RETRY_MS, startWhenThereIsSpace } from '../../src/service/wait-for-space.ts';
import { createTestLogger } from '../support/test-logger.ts';

const full = () => new SignrelayError('config', 'data_dir_full', 'the database /var/lib/signrelay/signrelay.db cannot be opened: storage.data_dir /var/lib/signrelay is full (ENOSPC): free space on its filesystem (disk I/O error)');

describe('startWhenThereIsSpace', () => {
  it('tries again while the data directory is full, and starts once there is space', async () => {
    const log = createTestLogger('info');
    const notes: Array<Record<string, string>> = [];
    const slept: number[] = [];
    let tries = 0;
    const started = await startWhenThereIsSpace(async () => {
      tries++;
      if (tries < 3) throw full();
      return 'running';
    }, { logger: () => log.logger, notifier: () => ({ notify: (state) => notes.push(state) }), sleep: async (ms) => void slept.push(ms) });
    expect(started).toBe('running');
    expect(slept).toEqual([SPACE_RETRY_MS, SPACE_RETRY_MS]);
    expect(notes).toEqual([{ STATUS: 'waiting for space in storage.data_dir', EXTEND_TIMEOUT_USEC: String(3 * SPACE_RETRY_MS * 1000) }, { STATUS: 'waiting for space in storage.data_dir', EXTEND_TIMEOUT_USEC: String(3 * SPACE_RETRY_MS * 1000) }]);
    const said = log.entries.filter((entry) => entry.message.includes('waits for space'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('is full (ENOSPC): free space on its filesystem (disk I/O error); signrelay waits for space and starts then') });
  });

  it('throws anything else at once', async () => {
    const wrong = new SignrelayError('config', 'database_unusable', 'not a signrelay database');
    await expect(startWhenThereIsSpace(async () => { throw wrong; }, { logger: () => { throw new Error('not to be told'); }, notifier: () => ({ notify() {} }), sleep: async () => {} })).rejects.toBe(wrong);
  });
});
