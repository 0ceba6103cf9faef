// The queue as `status` and /metrics count it: jobs waiting for an operator's fix, and jobs
// given up that still stand — a failed request's step until it is retried, anything else
// (a mail its recipient refused) for a day.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enqueueJob, failJob, releaseOperatorWaits, waitJob } from '../../src/store/jobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { insertRequest, transition } from '../../src/store/requests.ts';
import { queueSummary } from '../../src/store/status-queries.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const later = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

function setUp() {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'queue-summary-')));
  const request = insertRequest(db, {
    token: 'tok-queue-summary', state: 'received', route: 'default', provider: 'secured-signing', requester: 'ann@corp.example',
    subject: 'Contract', messageId: '<q@corp.example>', record: null, signers: [], dueDate: '2026-11-17', documents: [],
  }, NOW);
  return { db, request };
}

describe('queueSummary', () => {
  it('counts a failed request\'s given-up step until it is retried, however long ago', () => {
    const { db, request } = setUp();
    transition(db, request, 'stamped', NOW);
    const step = enqueueJob(db, { kind: 'submit', requestId: request }, NOW);
    failJob(db, step, 'the provider refused the PDF', NOW);
    transition(db, request, 'failed', NOW, { reason: 'the provider refused the PDF' });
    expect(queueSummary(db, later(24 * 30)).failed).toBe(1);
    // `signrelay retry`: the request goes back, a new job of the same kind is queued.
    transition(db, request, 'stamped', later(1), { retriedBy: 'operator' });
    enqueueJob(db, { kind: 'submit', requestId: request }, later(1));
    expect(queueSummary(db, later(1)).failed).toBe(0);
  });

  it('counts a mail given up for a day, and a later mail of the request does not hide it', () => {
    const { db, request } = setUp();
    const ack = enqueueJob(db, { kind: 'mail', requestId: request, payload: { purpose: 'acknowledgement' } }, NOW);
    failJob(db, ack, '550 no such user', NOW);
    enqueueJob(db, { kind: 'mail', requestId: request, payload: { purpose: 'notice' } }, later(1));
    expect(queueSummary(db, later(23)).failed).toBe(1);
    expect(queueSummary(db, later(25)).failed).toBe(0);
  });

  it('counts the jobs waiting for an operator\'s fix, with the latest of their errors', () => {
    const { db, request } = setUp();
    const first = enqueueJob(db, { kind: 'complete', requestId: request }, NOW);
    const second = enqueueJob(db, { kind: 'record', requestId: request }, NOW);
    const other = enqueueJob(db, { kind: 'mail', requestId: request }, NOW);
    waitJob(db, first, 'ServiceNow refused the login (HTTP 401)', later(0.1), NOW, 'operator');
    waitJob(db, second, 'ServiceNow refused the login (HTTP 401), again', later(0.1), new Date(NOW.getTime() + 1_000), 'operator');
    waitJob(db, other, 'the SMTP server is down', later(0.1), NOW, 'infrastructure');
    expect(queueSummary(db, NOW)).toMatchObject({ waitingForOperator: 2, operatorError: 'ServiceNow refused the login (HTTP 401), again' });
  });

  it('counts none once a job of their kind succeeded: the fix works, the rest are due and wait for nobody', () => {
    const { db, request } = setUp();
    const jobs = [1, 2, 3].map(() => enqueueJob(db, { kind: 'record', requestId: request }, NOW));
    for (const job of jobs) waitJob(db, job, 'ServiceNow refused the login (HTTP 401)', later(0.1), NOW, 'operator');
    expect(queueSummary(db, NOW).waitingForOperator).toBe(3);
    expect(releaseOperatorWaits(db, 'record', later(0.01))).toBe(3);
    expect(queueSummary(db, later(0.01))).toMatchObject({ waitingForOperator: 0, due: 3, retrying: 0, lastError: null });
  });
});
