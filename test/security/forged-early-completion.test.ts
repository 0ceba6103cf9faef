// "An early forged completion must not kill the request", through the real daemon, Dovecot
// and both simulators. Every signer can read the request's token on the signature page, and
// a completion mail's From is forgeable: a mail to returns+TOKEN@ claiming "signed" while
// the document is still being signed must end its `complete` job without failing the
// request — it stays `sent`, the audit trail says the provider did not confirm the mail,
// no failure alert is raised, the reconciler still looks after it — and the genuine
// completion mail that follows delivers the signed copy, once.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest } from '../../src/store/requests.ts';
import { listSentRequests } from '../../src/store/sent-requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, sendRequest, useWorld } from '../integration/world.ts';

// The simulator mails the genuine completion itself when the document is completed.
const getWorld = useWorld();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

it('a forged completion mail while the document is in progress leaves the request sent, and the genuine one delivers', async () => {
  const world = getWorld();
  const db = () => world.daemon!.db;
  const { request, reference } = await sendRequest(world, 'RITM0010001');
  await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${request.token}@corp.example`,
    subject: 'contract has been signed', text: 'All parties have signed.', messageId: '<forged-early@securedsigning.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf('Forged terms') }],
  }));

  // The job the forged mail queued ends — done, not failed — after its rechecks.
  const completeJobs = () => jobsForRequest(db(), request.id).filter((j) => j.kind === 'complete');
  const [job] = await waitUntil(world.daemon!.events, () => {
    const jobs = completeJobs();
    return jobs.length === 1 && jobs[0]!.state !== 'pending' ? jobs : undefined;
  }, { timeoutMs: 30_000, what: 'the forged mail\'s complete job to end', describe: completeJobs });
  expect(job).toMatchObject({ state: 'done' });
  expect(job!.attempts).toBeGreaterThan(1); // a few rechecks: a genuine mail may overtake the provider's status
  expect(getRequest(db(), request.id)!.state).toBe('sent');

  const events = listEvents(db(), request.id);
  expect(events.some((e) => e.toState === 'failed')).toBe(false);
  expect(events.some((e) => typeof e.detail?.alert === 'string')).toBe(false);
  expect(events.find((e) => e.detail?.completionUnconfirmed === true)?.detail).toMatchObject({
    reference, providerStatus: 'InProgress', reason: expect.stringContaining('not confirmed by the provider'),
  });
  // The scheduler's reconcile carries it from here: a sent request with no complete job queued.
  expect(listSentRequests(db()).find((s) => s.request.id === request.id)).toMatchObject({ completePending: false });
  expect(world.logs.join('')).not.toMatch(/"stack"|\n\s+at /);

  // Now the signers really finish: the simulator's own completion mail delivers the signed copy, once.
  await world.simulator.complete(reference);
  await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'delivered', { timeoutMs: 30_000, what: 'the request delivered' });
  const record = world.servicenow.records.find((r) => r.number === 'RITM0010001')!;
  expect(record.attachments).toHaveLength(1);
  expect(record.attachments[0]!.hash).toBe(sha256(world.simulator.documents.get(reference)!.signedBytes!));
  await world.daemon!.jobs.idle();
  expect(completeJobs().map((j) => j.state)).toEqual(['done', 'done']);
  expect(record.attachments).toHaveLength(1);
}, 180_000);
