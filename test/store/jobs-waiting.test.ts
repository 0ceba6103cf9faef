// What a waiting job waits for, and which waits a start or reload cuts short: our own
// infrastructure, and an operator's fix one job of each kind at a time (the rest follow once
// it succeeds: a wrong password tried by every waiting job at once can lock the account);
// never a wait the handler scheduled (a Retry-After, a lost send's notice, an upload
// settling), and never a job that is merely backing off.
import { describe, expect, it } from 'vitest';
import { enqueueJob, finishJob, releaseJobsWaitingForFix, releaseOperatorWaits, releaseWaitingJobs, retryJob, waitJob } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { insertRequest } from '../../src/store/requests.ts';

const NOW = new Date('2026-12-05T10:00:00Z');
const LATER = new Date('2026-12-05T10:20:00Z');

describe('releaseJobsWaitingForFix', () => {
  it('makes due the jobs waiting for an operator or for infrastructure, and no other', () => {
    const db = openMemoryDatabase();
    const job = () => enqueueJob(db, { kind: 'record', requestId: null }, NOW);
    const operator = job();
    const infrastructure = job();
    const scheduled = job();
    const backingOff = job();
    const waitedThenRetried = job();
    const waitedThenDone = job();
    waitJob(db, operator, 'ServiceNow refused the login', LATER, NOW, 'operator');
    waitJob(db, infrastructure, 'the SMTP server is down', LATER, NOW, 'infrastructure');
    waitJob(db, scheduled, 'the upload may still be settling', LATER, NOW, 'scheduled');
    retryJob(db, backingOff, 'HTTP 503', LATER, NOW);
    waitJob(db, waitedThenRetried, 'ServiceNow refused the login', LATER, NOW, 'operator');
    retryJob(db, waitedThenRetried, 'HTTP 503', LATER, NOW);
    waitJob(db, waitedThenDone, 'ServiceNow refused the login', LATER, NOW, 'operator');
    finishJob(db, waitedThenDone, NOW);

    expect(releaseJobsWaitingForFix(db, NOW)).toHaveLength(2);
    const runAt = (id: number) => (db.prepare('SELECT run_at AS runAt FROM jobs WHERE id = ?').get(id) as { runAt: string }).runAt;
    expect([operator, infrastructure].map(runAt)).toEqual([NOW.toISOString(), NOW.toISOString()]);
    expect([scheduled, backingOff, waitedThenRetried].map(runAt)).toEqual([LATER.toISOString(), LATER.toISOString(), LATER.toISOString()]);
    // Released once: at its own time it is not moved again.
    expect(releaseJobsWaitingForFix(db, NOW)).toHaveLength(0);
  });

  it('tries one job of each kind waiting for an operator\'s fix; the rest of its kind follow when it succeeds', () => {
    const db = openMemoryDatabase();
    const waiting = (kind: 'record' | 'complete') => {
      const id = enqueueJob(db, { kind, requestId: null }, NOW);
      waitJob(db, id, 'ServiceNow refused the login', LATER, NOW, 'operator');
      return id;
    };
    const [record1, record2, record3] = [waiting('record'), waiting('record'), waiting('record')];
    const [complete1, complete2] = [waiting('complete'), waiting('complete')];
    const runAt = (id: number) => (db.prepare('SELECT run_at AS runAt FROM jobs WHERE id = ?').get(id) as { runAt: string }).runAt;

    expect(releaseJobsWaitingForFix(db, NOW)).toHaveLength(2);
    expect([record1, complete1].map(runAt)).toEqual([NOW.toISOString(), NOW.toISOString()]);
    expect([record2, record3, complete2].map(runAt)).toEqual([LATER.toISOString(), LATER.toISOString(), LATER.toISOString()]);

    // The record job's try succeeded: the other record jobs go now; the complete jobs wait for theirs.
    finishJob(db, record1, NOW);
    expect(releaseOperatorWaits(db, 'record', NOW)).toBe(2);
    expect([record2, record3, complete2].map(runAt)).toEqual([NOW.toISOString(), NOW.toISOString(), LATER.toISOString()]);
  });
});

describe('releaseWaitingJobs (a lost send\'s notice came)', () => {
  it('makes due the request\'s jobs in a scheduled wait, not one backing off from a refusal', () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, {
      token: 'k7q2mzx4bd5fh6jn3wpa', state: 'received', route: 'default', provider: 'signicat', requester: 'a@x.example', subject: '', messageId: null,
      record: null, signers: [], dueDate: '2026-12-31', documents: [],
    }, NOW);
    const waitingForNotice = enqueueJob(db, { kind: 'submit', requestId: id }, NOW);
    const backingOff = enqueueJob(db, { kind: 'cancel', requestId: id }, NOW);
    waitJob(db, waitingForNotice, 'the send may have happened: waiting for its notice', LATER, NOW, 'scheduled');
    retryJob(db, backingOff, 'HTTP 503 (Retry-After 1200)', LATER, NOW);
    expect(releaseWaitingJobs(db, id, ['submit', 'cancel'], NOW)).toBe(1);
    const runAt = (id: number) => (db.prepare('SELECT run_at AS runAt FROM jobs WHERE id = ?').get(id) as { runAt: string }).runAt;
    expect([runAt(waitingForNotice), runAt(backingOff)]).toEqual([NOW.toISOString(), LATER.toISOString()]);
  });
});
