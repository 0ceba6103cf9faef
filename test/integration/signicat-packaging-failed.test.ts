// Every signer signed, and Signicat failed to make the PAdES package (a fault at Signicat):
// it read as a refusal, so the request was declined — the requester told it was DECLINED,
// the record noted so, no retry possible (Signicat review M4). It fails now, retryable, the
// operators told what Signicat did.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest } from '../../src/store/requests.ts';
import { listEvents } from '../../src/store/events.ts';
import { waitForState } from '../support/wait-for-event.ts';
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
