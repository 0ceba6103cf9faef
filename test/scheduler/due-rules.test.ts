// The scheduler's pure rules as tables: which task is due (never ran, recently, long ago,
// interrupted, still running), when a reminder goes, and what reconciliation does with
// the provider's answer.
import { describe, expect, it } from 'vitest';
import type { DocumentStatus } from '../../src/providers/provider.ts';
import { dueVerdict, type LastRun } from '../../src/scheduler/due-tasks.ts';
import { decideReconcile } from '../../src/scheduler/reconcile-decision.ts';
import { reminderVerdict } from '../../src/scheduler/reminder-due.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const MIN = 60_000;
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const run = (startedMsAgo: number, outcome: LastRun['outcome'] = 'ok'): LastRun => ({ startedAt: ago(startedMsAgo), outcome });

describe('dueVerdict (15-minute task)', () => {
  it.each<[string, LastRun | undefined, boolean, ReturnType<typeof dueVerdict>]>([
    ['never ran', undefined, false, { due: true, reason: 'never-ran' }],
    ['ran 5 minutes ago', run(5 * MIN), false, { due: false, reason: 'recent' }],
    ['ran 14 minutes ago (within the heartbeat slack)', run(14 * MIN + 45_000), false, { due: true, reason: 'interval-passed' }],
    ['ran 14 minutes ago (before the slack)', run(14 * MIN), false, { due: false, reason: 'recent' }],
    ['ran 3 days ago (missed while down)', run(3 * 24 * 60 * MIN), false, { due: true, reason: 'interval-passed' }],
    ['failed 20 minutes ago', run(20 * MIN, 'failed'), false, { due: true, reason: 'interval-passed' }],
    ['failed 2 minutes ago (no hot loop)', run(2 * MIN, 'failed'), false, { due: false, reason: 'recent' }],
    ['interrupted a minute ago', run(MIN, 'interrupted'), false, { due: true, reason: 'interrupted' }],
    ['left running by a dead process', run(MIN, 'running'), false, { due: true, reason: 'interrupted' }],
    ['still running here and due again (overlap)', run(20 * MIN, 'running'), true, { due: false, reason: 'running' }],
    ['still running here, not due yet', run(2 * MIN, 'running'), true, { due: false, reason: 'recent' }],
    ['started in the future (clock moved back)', run(-2 * 60 * MIN), false, { due: true, reason: 'clock-moved-back' }],
  ])('%s', (_what, last, runningHere, expected) => {
    expect(dueVerdict(15 * MIN, last, runningHere, NOW)).toEqual(expected);
  });
});

describe('reminderVerdict (due 2026-11-10, reminder 2 days before)', () => {
  const due = '2026-11-10';
  const remindAt = new Date('2026-11-08T23:59:59Z');
  it.each<[string, string, string, number, ReturnType<typeof reminderVerdict>]>([
    ['before the reminder day', '2026-11-01T09:00:00Z', '2026-11-08T12:00:00Z', 2, { due: false, reason: 'not-yet', remindAt }],
    ['on time', '2026-11-01T09:00:00Z', '2026-11-09T00:30:00Z', 2, { due: true, remindAt }],
    ['late but before the due moment (daemon was down)', '2026-11-01T09:00:00Z', '2026-11-10T20:00:00Z', 2, { due: true, remindAt }],
    ['after the due moment', '2026-11-01T09:00:00Z', '2026-11-11T00:00:00Z', 2, { due: false, reason: 'past-due', remindAt }],
    ['sent inside the reminder window', '2026-11-09T08:00:00Z', '2026-11-09T10:00:00Z', 2, { due: false, reason: 'sent-too-late', remindAt }],
    // Time review: sent 35 minutes before the reminder moment, reminded 35 minutes after the invitation.
    ['sent less than a day before the reminder moment', '2026-11-08T23:25:00Z', '2026-11-09T00:00:30Z', 2, { due: false, reason: 'sent-too-late', remindAt }],
    ['sent a day and more before it', '2026-11-07T23:59:59Z', '2026-11-09T00:00:30Z', 2, { due: true, remindAt }],
    ['reminders off', '2026-11-01T09:00:00Z', '2026-11-09T10:00:00Z', 0, { due: false, reason: 'off' }],
  ])('%s', (_what, sentAt, now, days, expected) => {
    expect(reminderVerdict({ dueDate: due, sentAt: new Date(sentAt) }, days, new Date(now))).toEqual(expected);
  });
});

describe('decideReconcile (grace 30 minutes)', () => {
  const status = (reference: string, phase: DocumentStatus['phase'], raw: string): DocumentStatus => ({ reference, phase, raw, sent: true, signers: [] });
  const grace = 30 * MIN;
  it.each<[string, DocumentStatus[], number, ReturnType<typeof decideReconcile>]>([
    ['complete, sent 31 minutes ago', [status('A', 'completed', 'Complete')], 31 * MIN, { action: 'complete', why: 'completed', reference: 'A', raw: 'Complete' }],
    ['complete, sent 29 minutes ago', [status('A', 'completed', 'Complete')], 29 * MIN, { action: 'wait', why: 'grace', reference: 'A', raw: 'Complete' }],
    ['one of two documents still signing', [status('A', 'completed', 'Complete'), status('B', 'in-progress', '1 of 2 Signed')], 60 * MIN,
      { action: 'wait', why: 'in-progress', reference: 'B', raw: '1 of 2 Signed' }],
    ['declined just now (no grace for refusals)', [status('A', 'declined', 'Declined')], MIN, { action: 'complete', why: 'declined', reference: 'A', raw: 'Declined' }],
    ['expired', [status('A', 'in-progress', 'InProgress'), status('B', 'expired', 'Expired')], MIN, { action: 'complete', why: 'expired', reference: 'B', raw: 'Expired' }],
    ['rejected', [status('A', 'rejected', 'Rejected')], MIN, { action: 'complete', why: 'rejected', reference: 'A', raw: 'Rejected' }],
    ['withdrawn at the provider (not by signrelay)', [status('A', 'in-progress', '1 of 2'), status('B', 'withdrawn', 'DELETED')], MIN, { action: 'complete', why: 'withdrawn', reference: 'B', raw: 'DELETED' }],
    ['unknown status', [status('A', 'unknown', 'Filling')], 60 * MIN, { action: 'wait', why: 'in-progress', reference: 'A', raw: 'Filling' }],
    ['no documents', [], 60 * MIN, { action: 'wait', why: 'in-progress', reference: undefined, raw: undefined }],
  ])('%s', (_what, statuses, sentMsAgo, expected) => {
    expect(decideReconcile(statuses, ago(sentMsAgo), grace, NOW)).toEqual(expected);
  });
});
