// The daemon's event map as the store and the job runner tell it: a transition once it is
// committed (never one a rolled-back transaction undid), in the order written; a mail filed
// with its folder and reason; a job attempt's retry, then its done.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignrelayError } from '../../src/errors.ts';
import { startJobRunner } from '../../src/jobs/job-runner.ts';
import { silentLogger } from '../../src/log.ts';
import { createDaemonEvents, type DaemonEventMap } from '../../src/store/daemon-events.ts';
import { enqueueJob } from '../../src/store/jobs.ts';
import { fileDeparted, markFiled } from '../../src/store/mail-filed.ts';
import { findMessage, recordMessage } from '../../src/store/messages.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { insertRequest, transition } from '../../src/store/requests.ts';
import { waitForEvent } from '../support/wait-for-event.ts';

const T0 = Date.parse('2026-12-03T09:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

function newRequest(db: Db): string {
  return insertRequest(db, {
    token: randomUUID(), state: 'received', route: 'default', provider: 'secured-signing', requester: 'a@x.example', subject: '', messageId: null,
    record: null, signers: [], dueDate: '2026-12-31', documents: [],
  }, at(0));
}

/** The daemon's events on a fresh database, and every event heard, in order. */
function listening() {
  const db = openMemoryDatabase();
  const events = createDaemonEvents(db, (_event, err) => { throw err; });
  const heard: Array<{ [K in keyof DaemonEventMap]: [K, ...DaemonEventMap[K]] }[keyof DaemonEventMap]> = [];
  events.on('request', (t) => heard.push(['request', t]));
  events.on('mail', (m) => heard.push(['mail', m]));
  events.on('job', (j) => heard.push(['job', j]));
  return { db, events, heard };
}

describe('the daemon events the store tells', () => {
  it('tells each transition of a request once committed, in order, with from, to, time and reason', async () => {
    const { db, heard } = listening();
    const id = newRequest(db);
    for (const [s, to] of [[1, 'stamped'], [2, 'uploaded'], [3, 'sent'], [50, 'completed'], [60, 'delivered']] as const) transition(db, id, to, at(s));
    await Promise.resolve(); // transitions are told once their transaction has ended
    expect(heard).toEqual([
      ['request', { requestId: id, from: null, to: 'received', at: at(0) }],
      ['request', { requestId: id, from: 'received', to: 'stamped', at: at(1) }],
      ['request', { requestId: id, from: 'stamped', to: 'uploaded', at: at(2) }],
      ['request', { requestId: id, from: 'uploaded', to: 'sent', at: at(3) }],
      ['request', { requestId: id, from: 'sent', to: 'completed', at: at(50) }],
      ['request', { requestId: id, from: 'completed', to: 'delivered', at: at(60) }],
    ]);
    const failed = newRequest(db);
    transition(db, failed, 'failed', at(5), { reason: 'the provider refused it' });
    await Promise.resolve();
    expect(heard.at(-1)).toEqual(['request', { requestId: failed, from: 'received', to: 'failed', at: at(5), reason: 'the provider refused it' }]);
  });

  it('tells nothing of a transition whose transaction was rolled back, and a committed one only after its commit', async () => {
    const { db, heard } = listening();
    const id = newRequest(db);
    heard.length = 0;
    expect(() => db.transaction(() => {
      transition(db, id, 'stamped', at(1));
      throw new Error('the rest of the work failed');
    })()).toThrow('the rest of the work failed');
    db.transaction(() => {
      transition(db, id, 'rejected', at(2));
      expect(heard).toEqual([]); // not yet: the transaction could still be rolled back
    })();
    await Promise.resolve();
    expect(heard).toEqual([['request', { requestId: id, from: 'received', to: 'rejected', at: at(2) }]]);
  });

  it('tells a mail filed with its folder, the outcome and reason recorded for it', () => {
    const { db, heard } = listening();
    const key = { mailbox: 'requests', place: '7', uid: 42 };
    recordMessage(db, { ...key, messageId: '<m1@x.example>', outcome: 'rejected', reason: 'no PDF attached', folder: 'Rejected', requestId: null }, at(0));
    markFiled(db, key, 'Rejected', at(1));
    expect(heard).toEqual([['mail', {
      mailbox: 'requests', messageId: '<m1@x.example>', folder: 'Rejected', outcome: 'rejected', reason: 'no PDF attached', requestId: null,
    }]]);
    // A mail whose outcome was never recorded is not told as filed.
    markFiled(db, { ...key, uid: 43 }, 'Rejected', at(2));
    expect(heard).toHaveLength(1);
  });

  it('files a handled mail gone from its folder (a MOVE whose answer was lost), and no other', () => {
    const { db, heard } = listening();
    const mail = (uid: number, place = '7') => ({ mailbox: 'requests', place, uid });
    const record = (key: ReturnType<typeof mail>, folder: string) =>
      recordMessage(db, { ...key, messageId: `<m${key.uid}-${key.place}@x.example>`, outcome: 'request', reason: 'ok', folder, requestId: null }, at(0));
    record(mail(1), 'Processed'); // moved, answer lost: gone
    record(mail(2), 'Rejected'); // moved, answer lost: gone
    record(mail(3), 'Processed'); // handled, not moved yet: still in the folder
    record(mail(4), 'Processed');
    markFiled(db, mail(4), 'Processed', at(1)); // moved and confirmed
    record(mail(1, '6'), 'Processed'); // a folder generation of old: its UIDs mean nothing now
    heard.length = 0;

    const filed = fileDeparted(db, 'requests', '7', new Set([3, 9]), at(5));
    expect(filed.map((row) => [row.uid, row.folder])).toEqual([[1, 'Processed'], [2, 'Rejected']]);
    expect(heard.map(([, event]) => event)).toEqual([
      expect.objectContaining({ messageId: '<m1-7@x.example>', folder: 'Processed' }),
      expect.objectContaining({ messageId: '<m2-7@x.example>', folder: 'Rejected' }),
    ]);
    expect(findMessage(db, mail(1))?.movedAt).toBe(at(5).toISOString());
    expect(findMessage(db, mail(3))?.movedAt).toBeNull();
    expect(findMessage(db, mail(4))?.movedAt).toBe(at(1).toISOString());
    expect(findMessage(db, mail(1, '6'))?.movedAt).toBeNull();
    // Filed once: the next pass finds nothing more to file.
    expect(fileDeparted(db, 'requests', '7', new Set([3]), at(6))).toEqual([]);
  });

  it('tells nothing on a database the daemon did not bind (an operator command\'s)', async () => {
    const db = openMemoryDatabase();
    const other = listening();
    transition(db, newRequest(db), 'stamped', at(1));
    await Promise.resolve();
    expect(other.heard).toEqual([]);
  });
});

describe('the daemon events the job runner tells', () => {
  it('a job that fails once and then succeeds tells retry (with the code), then done', async () => {
    const { db, events, heard } = listening();
    const id = newRequest(db);
    let calls = 0;
    const runner = startJobRunner({
      db, events, logger: silentLogger(), retryBaseMs: 1,
      handlers: { submit: { async run() { if (++calls === 1) throw new SignrelayError('transient', 'provider_timeout', 'no answer'); } } },
    });
    const jobId = enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await waitForEvent(events, 'job', (j) => j.outcome === 'done', { what: 'the job done' });
    await runner.stop();
    expect(heard.filter(([name]) => name === 'job')).toEqual([
      ['job', { jobId, kind: 'submit', requestId: id, attempt: 1, outcome: 'retry', code: 'provider_timeout' }],
      ['job', { jobId, kind: 'submit', requestId: id, attempt: 2, outcome: 'done' }],
    ]);
  });

  it('a job given up tells failed before its request becomes failed', async () => {
    const { db, events, heard } = listening();
    const id = newRequest(db);
    const runner = startJobRunner({
      db, events, logger: silentLogger(),
      handlers: { submit: {
        async run() { throw new SignrelayError('permanent', 'provider_refused', 'refused'); },
        onGiveUp: (job, reason) => transition(db, job.requestId!, 'failed', new Date(), { reason }),
      } },
    });
    enqueueJob(db, { kind: 'submit', requestId: id }, new Date());
    runner.poke();
    await waitForEvent(events, 'request', (t) => t.requestId === id && t.to === 'failed', { what: 'the request failed' });
    await runner.stop();
    expect(heard.slice(1).map(([name, e]) => (name === 'job' ? `job ${e.outcome} ${e.code}` : name === 'request' ? `request ${e.to}` : name)))
      .toEqual(['job failed provider_refused', 'request failed']);
  });
});
