// How a Signicat signing that ended otherwise than signed is told. Every signer signed and
// Signicat failed to make the PAdES package (a fault at Signicat): it read as a refusal, so
// the request was declined — the requester told it was DECLINED, the record noted so, no retry
// possible (Signicat review M4); it fails now, retryable, the operators told what Signicat
// did. And when the first of two signers declines, the second signer's task (which can never
// start: it waits for the rejected one) stays open and expires days later; its end notice
// reached a request no longer waiting for signatures and was filed in Unmatched with an
// operator alert — every declined multi-signer request made one (Signicat review M5). A later
// task's end notice of an ended request is filed as a duplicate now, without an alert.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { listEvents } from '../../src/store/events.ts';
import { waitForState, waitUntil } from '../support/wait-for-event.ts';
import { sendRequest, startWorld, type World } from './world.ts';

let world: World;
beforeAll(async () => {
  world = await startWorld({ provider: 'signicat' });
  world.startDaemon();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

it('all signers signed, the package FAILED: the request fails, retryable, and is never called declined', async () => {
  const sim = (world.signing as unknown as { signicat: SignicatSimulator }).signicat;
  const { request } = await sendRequest(world, 'RITM0010001', { text: 'Signer: Ann Lee <ann.lee@example.com>\nSigner: Bob Stone <bob.stone@example.com>' });
  const db = world.daemon!.db;
  const orderId = getRequest(db, request.id)!.providerOrderId!;
  sim.failPackaging(orderId, 'package-1');
  await sim.signAll(orderId);

  await waitForState(world.daemon!, request.id, 'failed', { timeoutMs: 30_000 });
  await world.daemon!.jobs.idle();
  expect(getRequest(db, request.id)!.reason).toMatch(/Signicat failed to make its PAdES package \(packaging FAILED\)/);
  expect(listEvents(db, request.id).some((e) => e.kind === 'transition' && e.toState === 'declined')).toBe(false);
  const mails = jobsForRequest(db, request.id).filter((j) => j.kind === 'mail').map((j) => JSON.stringify(j.payload));
  expect(mails.some((m) => /declined/i.test(m))).toBe(false);
});

it('the first signer declines; days later the second task expires, and its notice is filed without an alert', async () => {
  const sim = (world.signing as unknown as { signicat: SignicatSimulator }).signicat;
  const { request } = await sendRequest(world, 'RITM0010002', { text: 'Signer: Ann Lee <ann.lee@example.com>\nSigner: Bob Stone <bob.stone@example.com>' });
  const orderId = getRequest(world.daemon!.db, request.id)!.providerOrderId!;
  const simulated = { providerOrderId: orderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!) };
  await world.signing.decline(simulated, 'wrong salary');
  await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)!.state === 'declined', { timeoutMs: 20_000, what: 'declined' });
  await world.daemon!.jobs.idle();
  const unmatchedBefore = (await world.dovecot.list('returns', 'Unmatched')).length;

  // signrelay left Bob's task open at Signicat; its daysToLive runs out.
  expect(sim.orders.get(orderId)!.tasks.map((t) => t.status)).toEqual(['REJECTED', 'CREATED']);
  await sim.expireTask(orderId, 'signer-2');

  await waitUntil(world.daemon!.events, () => listEvents(world.daemon!.db, request.id).some((e) => e.kind === 'mail' && e.detail?.duplicate === true),
    { timeoutMs: 15_000, what: 'the notice filed' });
  expect((await world.dovecot.list('returns', 'Unmatched')).length).toBe(unmatchedBefore);
  expect(listEvents(world.daemon!.db, request.id).some((e) => e.detail?.alert === 'unmatched')).toBe(false);
  expect(getRequest(world.daemon!.db, request.id)!.state).toBe('declined');
});
