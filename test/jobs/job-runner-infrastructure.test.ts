// The job runner when what a job needs is down: an SMTP outage does not use up the job's
// attempts, and a job that succeeded while the database was locked by another process is
// recorded once the lock is gone — never run twice. Real SQLite files, a real second
// connection holding the write lock.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { startJobRunner, type JobRunner } from '../../src/jobs/job-runner.ts';
import { silentLogger } from '../../src/log.ts';
import { enqueueJob, jobsForRequest } from '../../src/store/jobs.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';
import { createTestLogger } from '../support/test-logger.ts';

const cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function fileDatabase(): { db: Db; dataDir: string; requestId: string } {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'signrelay-jobs-')), 'data');
  const db = openDatabase(dataDir);
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanup.push(() => { db.close(); });
  const requestId = insertRequest(db, {
    token: 't', state: 'received', route: 'default', provider: 'p', requester: 'a@x.example', subject: '', messageId: null,
    record: null, signers: [], dueDate: '2026-12-01', documents: [],
  }, new Date());
  return { db, dataDir, requestId };
}

function track(runner: JobRunner): JobRunner {
  cleanup.push(() => runner.stop());
  return runner;
}

describe('a job whose SMTP server is down', () => {
  it('waits without using up its attempts, then still has all of them', async () => {
    const { db, requestId } = fileDatabase();
    const outcomes = ['down', 'down', 'down', 'down', 'deferred', 'sent'];
    let calls = 0;
    const runner = track(startJobRunner({
      db, logger: silentLogger(), retryBaseMs: 1, maxAttempts: 3,
      handlers: {
        mail: {
          async run() {
            const outcome = outcomes[calls++];
            if (outcome === 'down') throw new SignrelayError('transient', 'smtp_unavailable', 'The SMTP server 127.0.0.1:1 could not be reached');
            if (outcome === 'deferred') throw new SignrelayError('transient', 'smtp_deferred', '451 try later');
          },
        },
      },
    }));
    enqueueJob(db, { kind: 'mail', requestId }, new Date());
    runner.poke();
    await expect.poll(() => jobsForRequest(db, requestId)[0]?.state, { timeout: 60_000 }).toBe('done');
    // Four waits (more than maxAttempts) and one counted retry, then the send: 2 counted attempts.
    expect(calls).toBe(6);
    expect(jobsForRequest(db, requestId)[0]?.attempts).toBe(2);
  });
});

describe('a job done while another process holds the database', () => {
  it('is recorded when the lock is gone, and not run again', async () => {
    const { db, dataDir, requestId } = fileDatabase();
    db.pragma('busy_timeout = 50');
    const other = new Database(join(dataDir, 'signrelay.db'));
    cleanup.push(() => { other.close(); });
    const { logger, entries } = createTestLogger();
    let calls = 0;
    const runner = track(startJobRunner({
      db, logger, retryBaseMs: 1,
      handlers: {
        mail: {
          async run() {
            calls++;
            // The effect happened; now another process takes the write lock.
            other.exec('BEGIN IMMEDIATE');
          },
        },
      },
    }));
    enqueueJob(db, { kind: 'mail', requestId }, new Date());
    runner.poke();
    await expect.poll(() => entries.find((e) => e.message === 'job runner pass failed'), { timeout: 60_000 }).toBeTruthy();
    const failed = entries.find((e) => e.message === 'job runner pass failed')!;
    expect(failed.error).toContain(`storage.data_dir ${dataDir} is locked`);
    expect(failed.error).toContain('SQLITE_BUSY');
    expect(failed.unrecordedDone).toBe(1);
    expect(jobsForRequest(db, requestId)[0]?.state).toBe('pending');

    other.exec('ROLLBACK');
    runner.poke();
    await expect.poll(() => jobsForRequest(db, requestId)[0]?.state, { timeout: 60_000 }).toBe('done');
    await runner.idle();
    expect(calls).toBe(1);
    expect(jobsForRequest(db, requestId)[0]?.attempts).toBe(1);
  });
});
