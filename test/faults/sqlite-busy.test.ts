// The database busy, through the whole daemon: another process (a second SQLite connection)
// holds the write lock on signrelay.db for longer than the daemon's busy timeout while a
// request mail arrives. The mail stays in INBOX, uncounted; the daemon keeps running and says
// once per try, without a stack, that storage.data_dir is locked; when the lock is gone the
// mail is processed exactly once.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { daemonLog, linesWithStackTraces } from './imap-fault-world.ts';
import { countedAttemptsOfWaitingMail, expectProcessedOnce, inFolder, TEST_BUSY_TIMEOUT_MS, useStorageFaultWorld } from './storage-fault-checks.ts';

const getWorld = useStorageFaultWorld();

it('leaves a mail in INBOX while another process holds the write lock, then processes it once', async () => {
  const world = getWorld();
  const dataDir = world.config.storage.data_dir;
  const other = new Database(join(dataDir, 'signrelay.db'));
  try {
    other.exec('BEGIN IMMEDIATE');
    const lockedAt = Date.now();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010004', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }], messageId: '<busy-1@corp.example>',
    }));
    const failure = await waitFor(() => daemonLog(world).find((e) => e.message === 'mail handler failed; will retry'), { timeoutMs: 20_000, what: 'the mail handler failing on the lock' });
    // The daemon waited its busy timeout for the lock before giving this try up.
    expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(TEST_BUSY_TIMEOUT_MS);
    expect(failure).toMatchObject({ level: 'warn', mailbox: 'requests' });
    expect(failure.error).toMatch(new RegExp(`^storage\\.data_dir ${dataDir} is locked: another process held a write lock on signrelay\\.db for longer than the 0\\.3 s signrelay waits for it .*\\(SQLITE_BUSY: database is locked\\)\\. The work waits and is retried\\.$`));
    expect(await inFolder(world, 'INBOX')).toHaveLength(1);
    // Not counted against the mail's attempt limit: the count itself could not be written.
    expect(countedAttemptsOfWaitingMail(world)).toBe(0);
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  await expectProcessedOnce(world, { record: 'RITM0010004', messageId: '<busy-1@corp.example>' });
  // Alive throughout, and said so without stack traces or a flood of lines.
  expect(world.daemon!.requestWatcher.status().state).not.toBe('stopped');
  expect(linesWithStackTraces(world)).toEqual([]);
  expect(daemonLog(world).filter((e) => String(e.error ?? '').includes('is locked')).length).toBeLessThanOrEqual(6);
  expect(listRequests(world.daemon!.db, {}).filter((r) => r.recordNumber === 'RITM0010004')).toHaveLength(1);
});
