import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { WatchedMessage } from '../../src/mail/imap-watcher.ts';
import { failureKind, withAttemptLimit } from '../../src/mail/with-attempt-limit.ts';
import { recordMessage } from '../../src/store/messages.ts';
import { openDatabase, openMemoryDatabase } from '../../src/store/open-database.ts';
import { killedFromOutsideError } from '../../src/pdf/pdf-errors.ts';

const message = { mailbox: 'requests', folder: 'INBOX', place: '7', uid: 42, size: 10, messageId: '<m@x>' } as unknown as WatchedMessage;

function setup(error: () => unknown) {
  const db = openMemoryDatabase();
  const givenUp: string[] = [];
  let calls = 0;
  const handle = withAttemptLimit(async () => { calls++; throw error(); }, {
    db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 3,
    giveUp: (_m, reason) => {
      givenUp.push(reason);
      recordMessage(db, { mailbox: 'requests', place: '7', uid: 42, messageId: null, outcome: 'rejected', reason, folder: 'Rejected', requestId: null }, new Date());
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
    // Filed: from now on the recorded outcome moves it (told as filed before, so the watcher
    // looks for its copy first), the handler is not called again.
    expect(await handle(message)).toEqual({ moveTo: 'Rejected', filedBefore: true });
    expect(calls()).toBe(3);
  });

  it('counts a worker or pdftotext killed from outside at the higher limit: a few minutes short of memory do not refuse a valid PDF, a file that makes it grow is not tried for ever', async () => {
    for (const killed of [
      () => killedFromOutsideError('pdf_worker_killed', 'the PDF worker stopped (signal SIGKILL) before it answered — killed from outside, most likely for memory'),
      () => killedFromOutsideError('pdftotext_killed', 'the second PDF reader (pdftotext) was killed from outside, most likely for memory'),
    ]) {
      const { handle, givenUp, calls } = setup(killed);
      expect(failureKind(killed())).toBe('killed');
      for (let i = 0; i < 3 * 4; i++) await expect(handle(message)).rejects.toThrow('killed from outside');
      expect(givenUp).toEqual([]); // three attempts would have refused it
      expect(await handle(message)).toEqual({ moveTo: 'Rejected' });
      expect(calls()).toBe(12);
      expect(givenUp[0]).toMatch(/^it could not be processed in 12 attempts \(.*killed from outside/);
    }
  });

  it('never gives up on infrastructure failures: the mail waits for the fix', async () => {
    const { handle, givenUp } = setup(() => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    for (let i = 0; i < 8; i++) await expect(handle(message)).rejects.toThrow('database is locked');
    expect(givenUp).toEqual([]);
  });

  it('does not count infrastructure failures: after an outage the mail still has all its attempts', async () => {
    const db = openMemoryDatabase();
    const errors = [
      ...Array.from({ length: 8 }, () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })),
      new Error('pdf-lib: unexpected object'), new Error('pdf-lib: unexpected object'),
    ];
    const givenUp: string[] = [];
    const handle = withAttemptLimit(async () => { throw errors.shift() ?? new Error('unreachable'); }, {
      db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 3, giveUp: (_m, r) => { givenUp.push(r); return { moveTo: 'Rejected' }; },
    });
    for (let i = 0; i < 10; i++) await expect(handle(message)).rejects.toThrow();
    expect(givenUp).toEqual([]);
    const row = db.prepare('SELECT attempts, last_error_kind FROM message_attempts').get() as { attempts: number; last_error_kind: string };
    expect(row).toEqual({ attempts: 2, last_error_kind: 'processing' });
  });

  it('still counts crashes after an infrastructure failure (a mail that kills the process cannot hide behind one)', async () => {
    const db = openMemoryDatabase();
    const givenUp: string[] = [];
    const giveUp = (_m: WatchedMessage, r: string) => { givenUp.push(r); return { moveTo: 'Rejected' }; };
    const busy = withAttemptLimit(async () => { throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }); }, { db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 1, giveUp });
    await expect(busy(message)).rejects.toThrow('is locked');
    const never = withAttemptLimit(() => new Promise(() => {}), { db, mailbox: 'requests', logger: silentLogger(), maxAttempts: 1, giveUp });
    for (let i = 0; i < 4; i++) void never(message);
    expect(await never(message)).toEqual({ moveTo: 'Rejected' });
    expect(givenUp).toHaveLength(1);
  });

  it('reports a locked database as one clear error naming the data dir, and counts nothing', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'signrelay-attempts-')), 'data');
    const db = openDatabase(dataDir);
    db.pragma('busy_timeout = 50');
    const other = new Database(join(dataDir, 'signrelay.db'));
    try {
      let calls = 0;
      const handle = withAttemptLimit(async () => { calls++; return { moveTo: 'Processed' }; }, {
        db, mailbox: 'requests', logger: silentLogger(), giveUp: () => ({ moveTo: 'Rejected' }),
      });
      other.exec('BEGIN IMMEDIATE');
      const error = await handle(message).then(() => undefined, (err: unknown) => err);
      expect(error).toMatchObject({ kind: 'transient', code: 'storage_busy' });
      expect((error as Error).message).toMatch(new RegExp(`^storage\\.data_dir ${dataDir} is locked: another process .*SQLITE_BUSY`));
      expect(failureKind(error)).toBe('infrastructure');
      expect(calls).toBe(0);
      other.exec('ROLLBACK');
      expect(await handle(message)).toEqual({ moveTo: 'Processed' });
      expect(db.prepare('SELECT attempts FROM message_attempts').get()).toEqual({ attempts: 1 });
    } finally {
      other.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
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
    [Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), 'infrastructure'],
    [new SignrelayError('config', 'return_address_invalid', 'mailboxes.returns.address must be …'), 'infrastructure'],
    [Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }), 'processing'],
    [new TypeError('x is undefined'), 'processing'],
  ])('classifies %s as %s', (err, kind) => {
    expect(failureKind(err)).toBe(kind);
  });
});
