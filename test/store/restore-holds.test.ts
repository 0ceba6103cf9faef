// A restored database is known by its history (migration 0021): a count of the rows it ever
// added, which only grows, and its own id, both marked beside it in the data dir. The
// requests with work left in a database found behind its mark are held: none of their jobs
// is due, the scheduler does not see them, the queue counts them apart — until released.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseHistory } from '../../src/store/database-history.ts';
import { HISTORY_MARK_FILE, readHistoryMark, writeHistoryMark } from '../../src/store/history-mark.ts';
import { historyVerdict } from '../../src/store/history-verdict.ts';
import { dueJobs, enqueueJob, finishJob, nextJobTime, releaseJobsWaitingForFix, waitJob } from '../../src/store/jobs.ts';
import { openDatabase, openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { insertRequest, transition } from '../../src/store/requests.ts';
import type { RequestState } from '../../src/store/request-states.ts';
import { countHeld, heldRequests, holdOpenRequests, isHeld, releaseHolds } from '../../src/store/restore-holds.ts';
import { listSentRequests } from '../../src/store/sent-requests.ts';
import { deleteRefusedRequests } from '../../src/store/retention.ts';
import { queueSummary } from '../../src/store/status-queries.ts';
import { listEvents } from '../../src/store/events.ts';

const NOW = new Date('2026-12-06T10:00:00Z');
const LATER = new Date('2026-12-06T11:00:00Z');

let tokens = 0;
function request(db: Db, path: ['received' | 'rejected', ...RequestState[]]): string {
  const id = insertRequest(db, {
    token: `tok-restore-${++tokens}`, state: path[0]!, route: 'default', provider: 'secured-signing', requester: 'ann@corp.example',
    subject: `Contract ${tokens}`, messageId: null, record: { number: `RITM00${tokens}`, table: 'sc_req_item' }, signers: [], dueDate: '2026-12-31', documents: [],
  }, NOW);
  for (const to of path.slice(1)) transition(db, id, to, NOW);
  return id;
}

describe('the database\'s history', () => {
  it('grows with every event, job and mail recorded, and retention\'s deletions do not lower it', () => {
    const db = openMemoryDatabase();
    const start = databaseHistory(db);
    const refused = request(db, ['rejected']); // one row in requests, one transition event
    const job = enqueueJob(db, { kind: 'mail', requestId: refused }, NOW);
    finishJob(db, job, NOW);
    const grown = databaseHistory(db);
    expect(grown.seq).toBe(start.seq + 2);
    expect(deleteRefusedRequests(db, LATER)).toBe(1);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    expect(databaseHistory(db)).toEqual(grown);
  });

  it('is kept by the three triggers a table rebuild in a later migration must make again', () => {
    const db = openMemoryDatabase();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'history_%' ORDER BY name").pluck().all())
      .toEqual(['history_events', 'history_jobs', 'history_messages']);
  });

  it('is another database\'s in another database', () => {
    expect(databaseHistory(openMemoryDatabase()).database).not.toBe(databaseHistory(openMemoryDatabase()).database);
  });

  it('is marked beside the database, whole, and a mark that is not one is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'history-mark-'));
    expect(readHistoryMark(dir)).toBeUndefined();
    writeHistoryMark(dir, { database: 'abc', seq: 41 }, NOW);
    expect(readHistoryMark(dir)).toEqual({ database: 'abc', seq: 41 });
    expect(JSON.parse(readFileSync(join(dir, HISTORY_MARK_FILE), 'utf8')).at).toBe(NOW.toISOString());
    for (const broken of ['', '{"database":"abc"', '{"database":"abc","seq":"41"}', '{"database":7,"seq":41}']) {
      writeFileSync(join(dir, HISTORY_MARK_FILE), broken);
      expect(readHistoryMark(dir)).toBeUndefined();
    }
  });
});

describe('historyVerdict', () => {
  const now = { database: 'd1', seq: 100, markedAt: '2026-12-01T08:00:00.000Z' };
  it('finds nothing with the database at or past its mark (a kill leaves the mark behind)', () => {
    expect(historyVerdict({ database: 'd1', seq: 100 }, now).behind).toBe(false);
    expect(historyVerdict({ database: 'd1', seq: 90 }, now).behind).toBe(false);
  });
  it('finds a database behind its mark, and says by how many steps', () => {
    const verdict = historyVerdict({ database: 'd1', seq: 130 }, now);
    expect(verdict).toEqual({ behind: true, why: expect.stringContaining('30 of the steps it had recorded are not in it') });
  });
  it('finds another database in the mark\'s place, however long its history', () => {
    expect(historyVerdict({ database: 'd0', seq: 5 }, now)).toEqual({ behind: true, why: expect.stringContaining('not the database signrelay last ran with') });
  });
  it('finds a database marked before in a data dir without a mark: restored into a new one (diff review 20 M1)', () => {
    expect(historyVerdict(undefined, now)).toEqual({ behind: true, why: expect.stringContaining('ran before (its history was first marked on 2026-12-01), but this data dir has no history-mark.json') });
  });
  it('says nothing of a database never marked: a new data dir, or one from before the mark upgraded again (diff review 20 L3)', () => {
    const unmarked = { ...now, markedAt: null };
    expect(historyVerdict(undefined, unmarked).behind).toBe(false);
    expect(historyVerdict({ database: 'd0', seq: 5000 }, unmarked).behind).toBe(false);
    // Its own mark ahead of it is still a restore of itself.
    expect(historyVerdict({ database: 'd1', seq: 130 }, unmarked).behind).toBe(true);
  });
});

describe('restore holds', () => {
  it('hold the requests with work left — any state but done, or done with a job pending — each noted in its trail', () => {
    const db = openMemoryDatabase();
    const stamped = request(db, ['received', 'stamped']);
    const sent = request(db, ['received', 'stamped', 'uploaded', 'sent']);
    const failed = request(db, ['received', 'failed']);
    const delivered = request(db, ['received', 'stamped', 'uploaded', 'sent', 'completed', 'delivered']);
    const deliveredWithNotice = request(db, ['received', 'stamped', 'uploaded', 'sent', 'completed', 'delivered']);
    enqueueJob(db, { kind: 'mail', requestId: deliveredWithNotice }, NOW);
    const cancelled = request(db, ['received', 'cancelled']);
    expect(holdOpenRequests(db, NOW)).toBe(4);
    expect(heldRequests(db).map((r) => r.id).sort()).toEqual([stamped, sent, failed, deliveredWithNotice].sort());
    expect([delivered, cancelled].map((id) => isHeld(db, id))).toEqual([false, false]);
    expect(listEvents(db, stamped).at(-1)?.detail).toEqual({ held: 'restore' });
    // Held once: a second start that finds the same adds nothing.
    expect(holdOpenRequests(db, LATER)).toBe(0);
    expect(heldRequests(db)[0]!.heldAt).toBe(NOW.toISOString());
  });

  it('keep a held request\'s jobs from being due, and the queue counts them apart from the jobs behind', () => {
    const db = openMemoryDatabase();
    const held = request(db, ['received', 'stamped']);
    const submit = enqueueJob(db, { kind: 'submit', requestId: held }, NOW);
    holdOpenRequests(db, NOW);
    const later = request(db, ['received', 'stamped']); // a request that came after the start
    const other = enqueueJob(db, { kind: 'submit', requestId: later }, LATER);
    const alert = enqueueJob(db, { kind: 'mail', requestId: null }, LATER);
    expect(dueJobs(db, LATER).map((j) => j.id)).toEqual([other, alert]);
    expect(nextJobTime(db)).toEqual(LATER);
    const queue = queueSummary(db, new Date(LATER.getTime() + 3_600_000));
    expect(queue).toMatchObject({ pending: 3, due: 2, oldestDueAt: LATER.toISOString(), held: 1, heldSince: NOW.toISOString() });
    expect(releaseHolds(db, [held], LATER)).toEqual([held]);
    expect(dueJobs(db, LATER).map((j) => j.id)).toEqual([submit, other, alert]);
    expect(countHeld(db)).toBe(0);
    expect(listEvents(db, held).at(-1)?.detail).toEqual({ released: 'restore' });
  });

  it('let an operator alert about a held request be mailed: the operators checking it need it (diff review 20 L1)', () => {
    const db = openMemoryDatabase();
    const held = request(db, ['received', 'stamped']);
    holdOpenRequests(db, NOW);
    const notice = enqueueJob(db, { kind: 'mail', requestId: held, payload: { purpose: 'notice' } }, NOW);
    const alert = enqueueJob(db, { kind: 'mail', requestId: held, payload: { purpose: 'alert' } }, NOW);
    expect(dueJobs(db, LATER).map((j) => j.id)).toEqual([alert]);
    releaseHolds(db, undefined, LATER);
    expect(dueJobs(db, LATER).map((j) => j.id)).toEqual([notice, alert]);
  });

  it('leave a held job out of the waits a start cuts short, and make a released one due at once (diff review 20 L2)', () => {
    const db = openMemoryDatabase();
    const held = request(db, ['received', 'stamped']);
    const heldSubmit = enqueueJob(db, { kind: 'submit', requestId: held }, NOW);
    waitJob(db, heldSubmit, 'Secured Signing refused the refresh token', LATER, NOW, 'operator');
    holdOpenRequests(db, NOW);
    const fresh = request(db, ['received', 'stamped']);
    const freshSubmit = enqueueJob(db, { kind: 'submit', requestId: fresh }, NOW);
    waitJob(db, freshSubmit, 'Secured Signing refused the refresh token', LATER, NOW, 'operator');
    // The oldest unheld job of the kind is the one tried at a start; the held one is not counted as waiting for a fix.
    expect(releaseJobsWaitingForFix(db, NOW)).toEqual(['submit']);
    expect(dueJobs(db, NOW).map((j) => j.id)).toEqual([freshSubmit]);
    expect(queueSummary(db, NOW).waitingForOperator).toBe(1);
    releaseHolds(db, [held], NOW);
    expect(dueJobs(db, NOW).map((j) => j.id)).toEqual([heldSubmit, freshSubmit]);
  });

  it('keep a held request from the scheduler\'s reconcile and reminders', () => {
    const db = openMemoryDatabase();
    const held = request(db, ['received', 'stamped', 'uploaded', 'sent']);
    holdOpenRequests(db, NOW);
    const fresh = request(db, ['received', 'stamped', 'uploaded', 'sent']);
    expect(listSentRequests(db).map((s) => s.request.id)).toEqual([fresh]);
    releaseHolds(db, undefined, LATER);
    expect(listSentRequests(db).map((s) => s.request.id).sort()).toEqual([held, fresh].sort());
  });

  it('release only the requests named, and only those held', () => {
    const db = openMemoryDatabase();
    const [a, b] = [request(db, ['received']), request(db, ['received'])];
    const free = request(db, ['received', 'cancelled']);
    holdOpenRequests(db, NOW);
    expect(releaseHolds(db, [a, free], LATER)).toEqual([a]);
    expect(heldRequests(db).map((r) => r.id)).toEqual([b]);
  });

  it('survive a restart: they are rows of the database, not of the process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'restore-holds-'));
    const db = openDatabase(dir);
    const id = request(db, ['received', 'stamped']);
    holdOpenRequests(db, NOW);
    db.close();
    const again = openDatabase(dir);
    expect(isHeld(again, id)).toBe(true);
    again.close();
  });
});
