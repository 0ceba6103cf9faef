// The route's reminder reaches a later signer of a Signicat order before the task ends
// (signers review M1). Signicat counts a notification's delay from the task's invitation,
// and a later signer is invited only once the one before signed, while every task ends
// daysToLive after the order was made: with the first signer's delay (the reminder day),
// a second signer invited on day 3 of 14 was to be reminded on day 15, after the end.
// The order is sent to the Signicat simulator, which invites and reminds as Signicat does,
// on a clock the test moves.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderBody } from '../../src/providers/signicat/order-body.ts';
import { DAY_MS } from '../../src/time.ts';
import { startWorld, uploadPdf, type SimWorld } from '../sandbox/signicat-fixtures.ts';

let world: SimWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.sim.close();
});

const SETTINGS = {
  signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' as const }], language: 'en' as const, days_until_deletion: 30,
  packaging: 'none' as const, send_result_to_archive: false, notification_sender: undefined,
};

/** An order of two signers, due in 14 days, reminded 2 days before (the defaults), made now. */
async function makeOrder(n: number): Promise<{ orderId: string; closesAt: Date }> {
  const now = world.clock.now();
  const { body, closesAt } = orderBody({
    documentReferences: [await uploadPdf(world.call)], dueAt: new Date(now + 14 * DAY_MS), packageName: `RITM00100${n} (signrelay r_${n})`,
    token: `tok-seq-${n}`, returnAddress: `returns+tok-seq-${n}@corp.example`,
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: `ann${n}@x.example` }, { firstName: 'Bob', lastName: 'Stone', email: `bob${n}@x.example` }],
    route: { reminderDaysBefore: 2 },
  }, SETTINGS, now);
  const created = await world.call('POST', '/orders', { json: body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await world.sim.settled();
  return { orderId: created.body.id as string, closesAt };
}

/** When each invitation (the first and its reminders) was mailed to `to`, in days since `from`. */
const invitedOn = (to: string, from: number) => world.sim.notifications
  .filter((n) => n.to === to && n.trigger === 'CREATED').map((n) => Math.round((n.at - from) / DAY_MS * 4) / 4);

async function passTime(until: number): Promise<void> {
  while (world.clock.now() < until) {
    world.clock.advance(DAY_MS / 4);
    await world.sim.tick();
  }
  await world.sim.settled();
}

it('a second signer invited on day 3 (the first took three days) is reminded while the task still waits, before it ends', async () => {
  const start = world.clock.now();
  const { orderId, closesAt } = await makeOrder(1);
  await passTime(start + 3 * DAY_MS);
  await world.sim.signTask(orderId, 'signer-1');
  await world.sim.settled();
  await passTime(closesAt.getTime() + DAY_MS);
  const invited = invitedOn('bob1@x.example', start);
  expect(invited).toHaveLength(2);
  expect(invited[1]).toBeGreaterThan(3);
  expect(invited[1]).toBeLessThan(14);
  expect(world.sim.orders.get(orderId)!.tasks.find((t) => t.id === 'signer-2')!.status).toBe('EXPIRED');
});

it('the first signer, who has not signed, is reminded two days before the due day', async () => {
  const start = world.clock.now();
  const { closesAt } = await makeOrder(2);
  await passTime(closesAt.getTime() + DAY_MS);
  expect(invitedOn('ann2@x.example', start)).toEqual([0, 12]);
});
