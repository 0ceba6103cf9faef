// Reconciliation against the Secured Signing simulator: a document Complete at the
// provider whose completion mail never came is queued for completion once the grace
// period is over, not before; a refusal is queued at once, and the `complete` job then
// records it exactly as it does for a mail.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCompleteHandler } from '../../src/completion/complete-request.ts';
import type { ServiceNowApi } from '../../src/completion/deliver-to-servicenow.ts';
import { silentLogger } from '../../src/log.ts';
import type { MailSender } from '../../src/jobs/send-mail.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest } from '../../src/store/requests.ts';
import { listScheduleRuns } from '../../src/store/schedule-runs.ts';
import { later, MINUTE_MS, startSchedulerWorld, type SchedulerWorld } from './scheduler-world.ts';

const SENT_AT = new Date('2030-03-02T09:00:00Z');
let world: SchedulerWorld;

beforeEach(async () => {
  world = await startSchedulerWorld({ reconcile_minutes: 15, completion_grace_minutes: 30 });
});
afterEach(async () => {
  await world.close();
});

const completeJobs = (id: string) => jobsForRequest(world.db, id).filter((j) => j.kind === 'complete');
const statusCalls = (reference: string) => world.simulator.calls.filter((c) => c.path.endsWith(`/Document/Status/${reference}`)).length;

describe('the reconcile task', () => {
  it('delivers a completed document without its mail after the grace period, not before', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT);
    const other = await world.sentRequest(SENT_AT); // still being signed: left alone
    await world.simulator.complete(reference); // no smtp: no completion mail is sent

    world.clock.now = later(SENT_AT, 10 * MINUTE_MS);
    const scheduler = world.startScheduler();
    await scheduler.idle();
    expect(statusCalls(reference)).toBe(1);
    expect(completeJobs(id)).toEqual([]);

    world.clock.now = later(SENT_AT, 29 * MINUTE_MS);
    await scheduler.tick();
    expect(statusCalls(reference)).toBe(2);
    expect(completeJobs(id)).toEqual([]);

    world.clock.now = later(SENT_AT, 44 * MINUTE_MS);
    await scheduler.tick();
    expect(completeJobs(id)).toMatchObject([{ state: 'pending', payload: { attachments: [], source: 'reconcile' } }]);
    expect(listEvents(world.db, id).at(-1)).toMatchObject({ kind: 'note', detail: { reconcile: 'completed', reference, providerStatus: 'Complete' } });
    expect(completeJobs(other.id)).toEqual([]);
    expect(getRequest(world.db, id)?.state).toBe('sent');

    // A queued job is not queued again, nor is the provider asked again about it.
    world.clock.now = later(SENT_AT, 60 * MINUTE_MS);
    await scheduler.tick();
    expect(completeJobs(id)).toHaveLength(1);
    expect(statusCalls(reference)).toBe(3);
    expect(listScheduleRuns(world.db).find((r) => r.task === 'reconcile')).toMatchObject({ outcome: 'ok', startedAt: world.clock.now.toISOString() });
  });

  it('queues a declined document at once, and the complete job records the refusal', async () => {
    const { id, reference } = await world.sentRequest(SENT_AT);
    world.simulator.decline(reference, 'Wrong salary figure');
    world.clock.now = later(SENT_AT, 2 * MINUTE_MS);
    await world.startScheduler().idle();
    const [job] = completeJobs(id);
    expect(job).toMatchObject({ state: 'pending' });
    expect(listEvents(world.db, id).at(-1)?.detail).toMatchObject({ reconcile: 'declined', providerStatus: 'Declined' });

    // The same code path as a completion mail decides: the request is declined, the requester told.
    const servicenow = { findRecord: () => Promise.reject(new Error('not reached in this test')) } as unknown as ServiceNowApi;
    const handler = createCompleteHandler({
      db: world.db, blobs: world.blobs, config: world.config, provider: world.provider, servicenow,
      smtp: {} as MailSender, now: () => world.clock.now, logger: silentLogger(),
    });
    await handler.run(job!);
    expect(getRequest(world.db, id)).toMatchObject({ state: 'declined' });
    expect(getRequest(world.db, id)?.reason).toContain('Wrong salary figure');
    expect(jobsForRequest(world.db, id).filter((j) => j.kind === 'mail').map((j) => (j.payload as { purpose: string }).purpose)).toContain('notice');
  });

  it('records a provider that does not answer, and still checks the other requests', async () => {
    const first = await world.sentRequest(SENT_AT);
    const second = await world.sentRequest(SENT_AT);
    world.simulator.expire(second.reference);
    world.simulator.failNext(`/Document/Status/${first.reference}`, { status: 400, body: { ResponseStatus: { ErrorCode: 'BadRequest', Message: 'nope' } } });
    world.clock.now = later(SENT_AT, 2 * MINUTE_MS);
    await world.startScheduler().idle();
    expect(completeJobs(second.id)).toHaveLength(1);
    expect(completeJobs(first.id)).toEqual([]);
    const run = listScheduleRuns(world.db).find((r) => r.task === 'reconcile');
    expect(run).toMatchObject({ outcome: 'failed' });
    expect(run?.error).toContain(`request ${first.id}`);
  });
  it('stops at the provider\'s 429: the other requests are asked at the next run, not into the limit', async () => {
    const requests = [];
    for (let n = 0; n < 4; n++) requests.push(await world.sentRequest(SENT_AT));
    const before = world.simulator.calls.length;
    world.simulator.failNext('/Document/Status', { status: 429, retryAfter: 3600, times: 100 });
    world.clock.now = later(SENT_AT, 20 * MINUTE_MS);
    await world.startScheduler().idle();
    const asked = world.simulator.calls.slice(before).filter((c) => c.path.includes('/Document/Status'));
    expect(asked.map((c) => c.status)).toEqual([429]);
    expect(listScheduleRuns(world.db).find((r) => r.task === 'reconcile')?.error).toMatch(/1 problem/);
  });
});
