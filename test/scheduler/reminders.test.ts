// Reminders against the Secured Signing simulator: one Document/SendReminder per document —
// to the signer whose turn it is, as the SDK's request names one — N days before the due date — not earlier, never twice across runs and restarts, none
// for a route that turned them off; a transient failure is tried again, a call whose
// outcome was lost in a crash is not.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { recordReminder } from '../../src/store/reminder-effects.ts';
import { getDocuments, getRequest, sentDocumentOf, setDueDate } from '../../src/store/requests.ts';
import { dueMoment } from '../../src/time.ts';
import { listScheduleRuns } from '../../src/store/schedule-runs.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { reminderNote } from '../../src/notices/record-notes.ts';
import { DAY_MS, later, MINUTE_MS, startSchedulerWorld, type SchedulerWorld } from './scheduler-world.ts';
import { sentDoc } from '../sandbox/fixtures.ts';
import type { FaultSpec } from '../../src/sandbox/http-util.ts';

const DUE = '2030-06-30'; // due at 2030-06-30T23:59:59Z; the reminder is due from 2030-06-28T23:59:59Z
const SENT_AT = new Date('2030-06-10T09:00:00Z');
const REMIND_AT = new Date('2030-06-28T23:59:59Z');
let world: SchedulerWorld;

beforeEach(async () => {
  world = await startSchedulerWorld();
});
afterEach(async () => {
  await world.close();
});

const reminderCalls = () => world.simulator.calls.filter((c) => c.path.endsWith('/Document/SendReminder'));

describe('the reminders task', () => {
  it('reminds once, N days before the due date, across runs and a restart', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    const quiet = await world.sentRequest(SENT_AT, { dueDate: DUE, route: 'quiet' });

    world.clock.now = later(REMIND_AT, -2 * 60 * MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(reminderCalls()).toEqual([]);

    world.clock.now = later(REMIND_AT, 2 * MINUTE_MS);
    await scheduler.tick();
    const ann = world.simulator.documents.get(reference)!.signers[0]!;
    expect(reminderCalls().map((c) => [c.status, c.body])).toEqual([[204, { DocumentReference: reference, SignerReference: ann.SignerReference }]]);
    expect(world.simulator.documents.get(reference)?.reminders).toEqual([{ at: expect.any(Number), signer: 'ann@example.com' }]);
    expect(world.simulator.documents.get(quiet.reference)?.reminders).toEqual([]);
    expect(listEvents(world.db, id).filter((e) => e.detail?.effect === 'reminder').map((e) => e.detail?.phase)).toEqual(['intent', 'done']);

    world.clock.now = later(REMIND_AT, 70 * MINUTE_MS);
    await scheduler.tick();
    await world.restart();
    world.clock.now = later(REMIND_AT, 5 * 60 * MINUTE_MS);
    await world.startScheduler().idle();
    expect(listScheduleRuns(world.db).find((r) => r.task === 'reminders')).toMatchObject({ outcome: 'ok', startedAt: world.clock.now.toISOString() });
    expect(reminderCalls()).toHaveLength(1);
  });

  it('a request of two documents: each document reminded, one note on the record naming both (multidoc review L5)', async () => {
    const { id } = await world.sentRequest(SENT_AT, { dueDate: DUE, documents: 2, recordTable: 'sc_req_item' });
    const references = getDocuments(world.db, id).map((d) => d.providerRef!);
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    await world.startScheduler().idle();
    expect(reminderCalls().map((c) => (c.body as { DocumentReference: string }).DocumentReference).sort()).toEqual([...references].sort());
    const notes = jobsForRequest(world.db, id).filter((j) => j.kind === 'record' && j.payload.event === 'reminded').map((j) => j.payload);
    expect(notes).toEqual([expect.objectContaining({ event: 'reminded' })]);
    expect(reminderNote(getRequest(world.db, id)!, getDocuments(world.db, id))).toContain(`(reference ${references.join(', ')})`);
  });

  it('a request of two documents, one reminder failing for a moment: it goes at a later run, and the record still gets one note (re-read A 2)', async () => {
    const { id } = await world.sentRequest(SENT_AT, { dueDate: DUE, documents: 2, recordTable: 'sc_req_item' });
    world.simulator.failNext('/Document/SendReminder', { status: 503 });
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    world.clock.now = later(REMIND_AT, 62 * MINUTE_MS);
    await scheduler.tick();
    world.clock.now = later(REMIND_AT, 124 * MINUTE_MS);
    await scheduler.tick();
    expect(reminderCalls().map((c) => c.status)).toEqual([503, 204, 204]);
    const notes = jobsForRequest(world.db, id).filter((j) => j.kind === 'record' && j.payload.event === 'reminded');
    expect(notes).toHaveLength(1);
  });

  it('stops at the provider\'s 429: nobody else is reminded into the limit, the rest at the next run', async () => {
    for (let n = 0; n < 3; n++) await world.sentRequest(SENT_AT, { dueDate: DUE });
    world.simulator.failNext('/Document/SendReminder', { status: 429, retryAfter: 3600, times: 100 });
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    await world.startScheduler().idle();
    expect(reminderCalls().map((c) => c.status)).toEqual([429]);
  });

  it('tries a transient failure again on the next run, and sends it once', async () => {
    const { reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    world.simulator.failNext('/Document/SendReminder', { status: 503 });
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(listScheduleRuns(world.db).find((r) => r.task === 'reminders')).toMatchObject({ outcome: 'failed' });
    expect(world.simulator.documents.get(reference)?.reminders).toEqual([]);

    world.clock.now = later(REMIND_AT, 62 * MINUTE_MS);
    await scheduler.tick();
    world.clock.now = later(REMIND_AT, 124 * MINUTE_MS);
    await scheduler.tick();
    expect(world.simulator.documents.get(reference)?.reminders).toHaveLength(1);
    expect(reminderCalls().map((c) => c.status)).toEqual([503, 204]);
  });

  it('reminds the signer whose turn it is: the first in signing order who has not signed', async () => {
    const signers = [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }, { firstName: 'Bob', lastName: 'Stone', email: 'bob@example.com' }];
    const { reference } = await world.sentRequest(SENT_AT, { dueDate: DUE, signers });
    world.simulator.signNext(reference);
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    await world.startScheduler().idle();
    const bob = world.simulator.documents.get(reference)!.signers[1]!;
    expect(reminderCalls().map((c) => c.body)).toEqual([{ DocumentReference: reference, SignerReference: bob.SignerReference }]);
    expect(world.simulator.documents.get(reference)?.reminders).toEqual([{ at: expect.any(Number), signer: 'bob@example.com' }]);
  });

  it('never repeats a reminder whose outcome a crash lost', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    // The process died after recording the intent: the reminder may have gone out.
    recordReminder(world.db, { requestId: id, seq: 1, reference, due: DUE, phase: 'intent' }, later(REMIND_AT, MINUTE_MS));
    world.clock.now = later(REMIND_AT, DAY_MS / 2);
    await world.startScheduler().idle();
    expect(reminderCalls()).toEqual([]);
  });

  /** A request reminded at its reminder moment, with the scheduler that did it. */
  async function remindedOnce() {
    const { id } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    world.clock.now = later(REMIND_AT, 2 * MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(reminderCalls()).toHaveLength(1);
    return { id, scheduler };
  }

  it('reminds again before a due date an `extend` moved, once, and not within a day of the last reminder (time review F4)', async () => {
    const { id, scheduler } = await remindedOnce();
    // What carrying out "extend 2030-07-31" does: Document/Extend, then the request's new due date.
    world.clock.now = new Date('2030-06-29T08:00:00Z');
    const request = getRequest(world.db, id)!;
    await world.provider.extend(sentDocumentOf(request, getDocuments(world.db, id)[0]!), dueMoment('2030-07-31'));
    setDueDate(world.db, id, '2030-07-31', world.clock.now);
    await scheduler.tick();
    expect(reminderCalls()).toHaveLength(1); // the new date's reminder is not due yet
    world.clock.now = later(new Date('2030-07-29T23:59:59Z'), 2 * MINUTE_MS);
    await scheduler.tick();
    world.clock.now = later(world.clock.now, 2 * 60 * MINUTE_MS);
    await scheduler.tick();
    expect(reminderCalls()).toHaveLength(2);
  });

  it('a due date moved by a day just after its reminder gets none within the day that follows', async () => {
    const { id, scheduler } = await remindedOnce();
    setDueDate(world.db, id, '2030-07-01', later(REMIND_AT, 3 * MINUTE_MS)); // its reminder was due a day later: 2030-06-29T23:59:59Z
    world.clock.now = new Date('2030-06-30T00:00:30Z'); // due, but under a day after the last reminder
    await scheduler.tick();
    expect(reminderCalls()).toHaveLength(1);
    world.clock.now = later(REMIND_AT, DAY_MS + 2 * 60 * MINUTE_MS); // the task looks hourly
    await scheduler.tick();
    expect(reminderCalls()).toHaveLength(2);
  });

  it('a reminder recorded before reminders named their due date counts for any due date (no second one after an upgrade)', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    addEvent(world.db, { requestId: id, kind: 'effect', detail: { effect: 'reminder', phase: 'intent', seq: 1, reference } }, later(REMIND_AT, MINUTE_MS));
    addEvent(world.db, { requestId: id, kind: 'effect', detail: { effect: 'reminder', phase: 'done', seq: 1, reference } }, later(REMIND_AT, MINUTE_MS));
    world.clock.now = later(REMIND_AT, DAY_MS / 2);
    await world.startScheduler().idle();
    expect(reminderCalls()).toEqual([]);
  });

  it.each<[string, FaultSpec]>([
    ['the connection reset', { kind: 'drop' }],
    // Fault review F5: a 5xx was a plain transient failure, and the signer got a second reminder an hour later.
    ['a gateway\'s 504 page', { kind: 'gateway', status: 504 }],
    ['a gateway\'s 502 page', { kind: 'gateway', status: 502 }],
  ])('never repeats a reminder whose answer was lost after the provider sent it: %s', async (_name, fault) => {
    const { reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    world.simulator.failNext('/Document/SendReminder', fault);
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    world.clock.now = later(REMIND_AT, 62 * MINUTE_MS);
    await scheduler.tick();
    expect(world.simulator.documents.get(reference)?.reminders).toHaveLength(1);
    expect(reminderCalls()).toHaveLength(1);
  });

  it('waits a day after a reminder a reply asked for: one a day at most', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    addEvent(world.db, { requestId: id, kind: 'effect', detail: { effect: 'reply-reminder-7-1', phase: 'intent', reference } }, later(REMIND_AT, -MINUTE_MS));
    addEvent(world.db, { requestId: id, kind: 'effect', detail: { effect: 'reply-reminder-7-1', phase: 'done', reference } }, later(REMIND_AT, -MINUTE_MS));
    world.clock.now = later(REMIND_AT, 60 * MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(reminderCalls()).toEqual([]);
    world.clock.now = later(REMIND_AT, DAY_MS);
    await scheduler.tick();
    expect(reminderCalls()).toHaveLength(1);
  });

  it('reminds nobody of a document the provider already has signed', async () => {
    const { reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    await world.simulator.complete(reference);
    world.clock.now = later(REMIND_AT, MINUTE_MS);
    await world.startScheduler().idle();
    expect(reminderCalls()).toEqual([]);
    expect(listScheduleRuns(world.db).find((r) => r.task === 'reminders')).toMatchObject({ outcome: 'ok' });
  });

  it('the client reminds nobody, and says so, when every signer has signed by the time it asks', async () => {
    const { reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    await world.simulator.complete(reference);
    await expect(world.provider.sendReminder(sentDoc(reference))).rejects.toMatchObject({ kind: 'permanent', code: 'nobody_to_remind' });
    expect(reminderCalls()).toEqual([]);
  });

  it('the simulator refuses a reminder for a document that is not out for signing', async () => {
    const { reference } = await world.sentRequest(SENT_AT, { dueDate: DUE });
    world.simulator.decline(reference, 'No');
    await expect(world.provider.sendReminder(sentDoc(reference))).rejects.toMatchObject({ kind: 'permanent' });
    await expect(world.provider.sendReminder(sentDoc('no-such-document'))).rejects.toMatchObject({ kind: 'permanent' });
    // The unknown document is found out by its status, asked first for the signer to remind.
    expect(reminderCalls().map((c) => c.status)).toEqual([400]);
  });

  it('sends no reminder when the request was sent inside the reminder window', async () => {
    await world.sentRequest(later(REMIND_AT, MINUTE_MS), { dueDate: DUE });
    world.clock.now = later(REMIND_AT, 2 * 60 * MINUTE_MS);
    await world.startScheduler().idle();
    expect(reminderCalls()).toEqual([]);
  });
});
