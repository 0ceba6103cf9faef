import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { WatchedMessage } from '../../src/mail/imap-watcher.ts';
import { failureKind, withAttemptLimit } from '../../src/mail/with-attempt-limit.ts';
import { recordMessage } from '../../src/store/messages.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';

const message = { mailbox: 'requests', folder: 'INBOX', uidValidity: '7', uid: 42, size: 10, messageId: '<m@x>' } as unknown as WatchedMessage;

function setup(error: () => unknown) {
  const db = openMemoryDatabase();
  const givenUp: string[] = [];
  let calls = 0;
  const handle = withAttemptLimit(async () => { calls++; throw error(); }, {
    db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 3,
    giveUp: (_m, reason) => {
      givenUp.push(reason);
      recordMessage(db, { mailbox: 'requests', uidValidity: '7', uid: 42, messageId: null, outcome: 'rejected', reason, folder: 'Rejected', requestId: null }, new Date());
      return { moveTo: 'Rejected' };
    },
  });
  return { handle, givenUp, calls: () => calls };
}

describe('withAttemptLimit', () => {
  it('files a mail whose processing keeps failing, after the maximum attempts', async () => {
    const { handle, givenUp, calls } = setup(() => new Error('pdf-lib: unexpected object'));
    for (let i = 0; i < 3; i++) await expect(handle(message)).rejects.toThrow('unexpected object');
    expect(await handle(message)).toEqual({ moveTo: 'Rejected' });
    expect(calls()).toBe(3);
    expect(givenUp).toEqual(['it could not be processed in 3 attempts (pdf-lib: unexpected object)']);
    // Filed: from now on the recorded outcome moves it, the handler is not called again.
    expect(await handle(message)).toEqual({ moveTo: 'Rejected' });
    expect(calls()).toBe(3);
  });

  it('never gives up on infrastructure failures: the mail waits for the fix', async () => {
    const { handle, givenUp } = setup(() => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    for (let i = 0; i < 8; i++) await expect(handle(message)).rejects.toThrow('database is locked');
    expect(givenUp).toEqual([]);
  });

  it('counts attempts that never finished (the process died), at a higher limit', async () => {
    const db = openMemoryDatabase();
    const givenUp: string[] = [];
    const never = withAttemptLimit(() => new Promise(() => {}), { db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 1, giveUp: (_m, r) => { givenUp.push(r); return { moveTo: 'Rejected' }; } });
    // "Crashes" mid-way four times (maxAttempts 1 × 4): nothing recorded but the attempts.
    for (let i = 0; i < 4; i++) void never(message);
    const after = withAttemptLimit(async () => ({ moveTo: 'Processed' }), { db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 1, giveUp: (_m, r) => { givenUp.push(r); return { moveTo: 'Rejected' }; } });
    expect(await after(message)).toEqual({ moveTo: 'Rejected' });
    expect(givenUp[0]).toMatch(/the process stopped while handling it/);
  });

  it.each([
    [new SignrelayError('transient', 'x', 'network'), 'infrastructure'],
    [new SignrelayError('input', 'x', 'bad pdf'), 'processing'],
    [Object.assign(new Error('disk full'), { code: 'ENOSPC' }), 'infrastructure'],
    [Object.assign(new Error('full'), { code: 'SQLITE_FULL' }), 'infrastructure'],
    [new TypeError('x is undefined'), 'processing'],
  ])('classifies %s as %s', (err, kind) => {
    expect(failureKind(err)).toBe(kind);
  });
});
