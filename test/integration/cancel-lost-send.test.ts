// A request cancelled while the answer to its send was lost (Signicat, through the whole
// daemon: Dovecot, the simulators). The order was made; only its creation notice, still on
// its way to the return address, names it. The cancel job waits for that notice and, once
// the return mailbox's watcher reads it, withdraws the order at once: the signers are not
// left with an invitation to sign a cancelled request, and the operator is not alerted.
import { describe, expect, it } from 'vitest';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { lastEffectPhase, listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, useWorld, type World } from './world.ts';

const getWorld = useWorld({ provider: 'signicat' });

/** A request whose order Signicat made and whose answer was lost; the order's notice to the return address held on its way. */
async function lostSend(world: World, record: string) {
  const signicat = (world.signing as { signicat?: SignicatSimulator }).signicat!;
  const db = world.daemon!.db;
  signicat.failNext('/orders', { kind: 'drop' }); // the order is made, its answer lost
  const notice = world.holdMail((m) => m.envelope.rcptTo.some((r) => r.address.startsWith('returns+')));
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: `Contract for ${record}`, text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  await notice.arrived;
  const request = await waitUntil(world.daemon!.events, () => listRequests(db, {}).find((r) => r.recordNumber === record && lastEffectPhase(db, r.id, 'send') === 'intent'),
    { what: 'the send attempted' });
  const order = [...signicat.orders.values()].find((o) => o.clientReference === request.token)!;
  return { signicat, db, notice, request, order };
}

describe('cancelled while the send\'s answer was lost', () => {
  it('waits for the order\'s notice, then withdraws the order it names, once', async () => {
    const world = getWorld();
    const { signicat, db, notice, request, order } = await lostSend(world, 'RITM0010004');
    expect(signicat.orders.size).toBe(1);

    queueCancel(db, request.id, 'the wrong contract version', new Date(), request.provider);
    world.daemon!.jobs.poke();
    const waiting = () => jobsForRequest(db, request.id).find((j) => j.kind === 'cancel' && j.state === 'pending' && j.lastError?.includes('waiting for Signicat\'s order notice'));
    await waitUntil(world.daemon!.events, () => getRequest(db, request.id)?.state === 'cancelled' && waiting(), { what: 'the cancel job waiting for the order\'s notice' });
    expect(order.tasks.every((t) => t.status === 'CREATED')).toBe(true); // not withdrawn yet: its id is not known

    notice.release();
    const deletes = () => signicat.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/orders/${order.id}`));
    await waitUntil(world.daemon!.events, () => deletes().length === 1 && lastEffectPhase(db, request.id, 'withdraw-1') === 'done', { what: 'the order withdrawn' });
    await world.daemon!.jobs.idle();
    expect(getRequest(db, request.id)).toMatchObject({ state: 'cancelled', providerOrderId: order.id });
    expect(signicat.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/orders'))).toHaveLength(1); // never sent twice
    expect(deletes()).toHaveLength(1);
    expect(listEvents(db, request.id).filter((e) => e.detail?.alert !== undefined)).toEqual([]); // nothing left for the operator
    expect(world.daemon!.db.prepare("SELECT outcome FROM messages WHERE mailbox = 'returns' AND request_id = ?").all(request.id)).toEqual([{ outcome: 'notice' }]);
  });

  it('a notice that comes after the cancel stopped waiting for it: the order it names is withdrawn then', async () => {
    const world = getWorld();
    await world.stopDaemon();
    world.config = configSchema.parse({ ...world.config, provider: { ...world.config.provider, send_notice_wait_seconds: 1 } });
    world.startDaemon();
    const { signicat, db, notice, request, order } = await lostSend(world, 'RITM0010005');
    queueCancel(db, request.id, '', new Date(), request.provider);
    world.daemon!.jobs.poke();
    // The wait (1 s here) ends with no notice read: nothing withdrawn, the operator alerted.
    await waitUntil(world.daemon!.events, () => lastEffectPhase(db, request.id, 'withdraw') === 'unknown' && jobsForRequest(db, request.id).every((j) => j.kind !== 'cancel' || j.state === 'done'),
      { what: 'the cancel given up on the order' });
    expect(order.tasks.every((t) => t.status === 'CREATED')).toBe(true);

    notice.release();
    const deletes = () => signicat.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/orders/${order.id}`));
    await waitUntil(world.daemon!.events, () => deletes().length === 1 && lastEffectPhase(db, request.id, 'withdraw-1') === 'done', { what: 'the late-named order withdrawn' });
    await world.daemon!.jobs.idle();
    expect(getRequest(db, request.id)).toMatchObject({ state: 'cancelled', providerOrderId: order.id });
    expect(signicat.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/orders') && c.body && JSON.stringify(c.body).includes(request.token))).toHaveLength(1);
  });
});
