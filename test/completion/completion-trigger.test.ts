// A completion trigger the provider does not confirm, with a real SQLite, the Secured
// Signing simulator and the real client: the `complete` job asks a few times, then ends with
// the request still `sent` — never by throwing into the job runner's last attempt, which
// would fail the request. A mail arriving while a job is pending hands it its PDFs, makes it
// due now and gives it a fresh set of rechecks; the job weighs the PDFs of every mail.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCompleteHandler, NOT_COMPLETE_CHECKS } from '../../src/completion/complete-request.ts';
import type { ServiceNowApi } from '../../src/completion/deliver-to-servicenow.ts';
import { isSignrelayError } from '../../src/errors.ts';
import type { MailSender } from '../../src/jobs/send-mail.ts';
import { JOB_MAX_ATTEMPTS } from '../../src/jobs/retry-delay.ts';
import { silentLogger } from '../../src/log.ts';
import { mailedPdfs, queueCompletionTrigger } from '../../src/store/completion-triggers.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest, retryJob, type JobRow } from '../../src/store/jobs.ts';
import { getRequest } from '../../src/store/requests.ts';
import { startSchedulerWorld, type SchedulerWorld } from '../scheduler/scheduler-world.ts';

const SENT_AT = new Date('2030-03-02T09:00:00Z');
const pdf = (n: number) => ({ fileName: `contract-${n}.pdf`, sha256: String(n).repeat(64).slice(0, 64) });
let world: SchedulerWorld;

beforeEach(async () => {
  world = await startSchedulerWorld();
});
afterEach(async () => {
  await world.close();
});

const completeJob = (id: string): JobRow => jobsForRequest(world.db, id).filter((j) => j.kind === 'complete').at(-1)!;
const handler = () => createCompleteHandler({
  db: world.db, blobs: world.blobs, config: world.config, provider: world.provider,
  servicenow: { findRecord: () => Promise.reject(new Error('not reached')) } as unknown as ServiceNowApi,
  smtp: {} as MailSender, now: () => world.clock.now, logger: silentLogger(),
});

/** One attempt as the job runner makes it: run, and count a thrown attempt. */
async function attempt(id: string): Promise<'ended' | string> {
  const job = completeJob(id);
  try {
    await handler().run(job);
    return 'ended';
  } catch (err) {
    retryJob(world.db, job.id, String(err), world.clock.now, world.clock.now);
    return isSignrelayError(err) ? `${err.kind}:${err.code}` : 'unexpected';
  }
}

describe('a completion trigger the provider does not confirm', () => {
  it('is checked a few times, then the job ends with the request still sent', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT);
    expect(queueCompletionTrigger(world.db, id, [], SENT_AT)).toBe('queued');
    const outcomes: string[] = [];
    for (let i = 0; i < NOT_COMPLETE_CHECKS; i++) outcomes.push(await attempt(id));
    expect(outcomes).toEqual([...Array<string>(NOT_COMPLETE_CHECKS - 1).fill('transient:not_complete_yet'), 'ended']);
    expect(getRequest(world.db, id)!.state).toBe('sent');
    expect(listEvents(world.db, id).at(-1)).toMatchObject({
      kind: 'note', detail: { completionUnconfirmed: true, reference, providerStatus: 'InProgress', checks: NOT_COMPLETE_CHECKS },
    });
  });

  it('never throws into the job runner\'s last attempt', async () => {
    const { id } = await world.sentRequest(SENT_AT);
    queueCompletionTrigger(world.db, id, [], SENT_AT);
    const job = completeJob(id);
    world.db.prepare('UPDATE jobs SET attempts = ? WHERE id = ?').run(JOB_MAX_ATTEMPTS - 1, job.id);
    // A later mail gave it a fresh set of rechecks, but the runner would give up after this one.
    queueCompletionTrigger(world.db, id, [], SENT_AT);
    expect(await attempt(id)).toBe('ended');
    expect(getRequest(world.db, id)!.state).toBe('sent');
  });

  it('a mail arriving meanwhile joins the pending job: its PDFs, due now, rechecks counted afresh', async () => {
    const { id } = await world.sentRequest(SENT_AT);
    queueCompletionTrigger(world.db, id, [pdf(1)], SENT_AT);
    for (let i = 0; i < NOT_COMPLETE_CHECKS - 2; i++) await attempt(id);
    world.db.prepare("UPDATE jobs SET run_at = '2099-01-01T00:00:00.000Z' WHERE id = ?").run(completeJob(id).id);

    expect(queueCompletionTrigger(world.db, id, [pdf(2), pdf(1)], SENT_AT)).toBe('merged');
    const job = completeJob(id);
    expect(jobsForRequest(world.db, id).filter((j) => j.kind === 'complete')).toHaveLength(1);
    expect(job).toMatchObject({ state: 'pending', runAt: SENT_AT.toISOString(), payload: { attachments: [pdf(1), pdf(2)], checksFrom: NOT_COMPLETE_CHECKS - 2 } });
    expect(await attempt(id)).toBe('transient:not_complete_yet'); // would have been the last check without the new mail

    expect(mailedPdfs(world.db, id)).toEqual([pdf(1), pdf(2)]);
  });

  it('the PDFs of every completion mail are weighed, also those of jobs that ended', async () => {
    const { id } = await world.sentRequest(SENT_AT);
    queueCompletionTrigger(world.db, id, [pdf(1)], SENT_AT);
    for (let i = 0; i < NOT_COMPLETE_CHECKS; i++) await attempt(id);
    expect(completeJob(id).state).toBe('pending'); // attempt() does not record the end; the runner does
    world.db.prepare("UPDATE jobs SET state = 'done' WHERE id = ?").run(completeJob(id).id);
    expect(queueCompletionTrigger(world.db, id, [pdf(2)], SENT_AT)).toBe('queued');
    queueCompletionTrigger(world.db, id, [pdf(1)], SENT_AT); // the first PDF again, in a later mail
    expect(mailedPdfs(world.db, id)).toEqual([pdf(2), pdf(1)]);
  });

  it('a sent request with no document recorded fails at once, instead of being marked completed with nothing collected', async () => {
    const { id } = await world.sentRequest(SENT_AT);
    world.db.prepare('DELETE FROM documents WHERE request_id = ?').run(id);
    queueCompletionTrigger(world.db, id, [], SENT_AT);
    expect(await attempt(id)).toBe('permanent:no_documents');
    expect(getRequest(world.db, id)!.state).toBe('sent');
  });
});
