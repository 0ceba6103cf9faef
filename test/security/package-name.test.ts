// The package's name at Secured Signing reaches every signer in its invitation. Where the
// request names no record (a route with require_record: false) it is the request's subject —
// outside text, perhaps a customer's a requester passed along — and went raw: a bidi override,
// a live link and 3,000 characters (security review 5, L1). It goes as one bounded line with
// its links made inert, as the signer names beside it do.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getDocuments, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, reportOnFailure, startWorld, type World } from '../integration/world.ts';

let world: World | undefined;
beforeAll(async () => {
  world = await startWorld();
  world.config = { ...world.config, routes: { ...world.config.routes, default: { ...world.config.routes.default!, require_record: false } } };
  world.startDaemon();
}, 60_000);
reportOnFailure(() => world);
afterAll(async () => world?.close());

it('names the package by the subject as one inert, bounded line', async () => {
  const subject = `Invoice \u202eFDP.exe\u202c see https://evil.example/pay ${'x'.repeat(3000)}`;
  const messageId = '<package-name@corp.example>';
  await world!.dovecot.deliver('sign@corp.example', await buildMail({ subject, messageId, text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'c.pdf', content: await contractPdf() }] }));
  const request = await waitUntil(world!.daemon!.events, () => listRequests(world!.daemon!.db, { state: 'sent' }).find((r) => r.messageId === messageId), { what: 'the request sent', timeoutMs: 30_000 });
  const name = world!.simulator.documents.get(getDocuments(world!.daemon!.db, request.id)[0]!.providerRef!)!.packageName!;
  expect(name).toMatch(/^Invoice FDP\.exe see https\[:\]\/\/evil\.example\/pay x+… \(signrelay r_[0-9a-f]{12}\)$/);
  expect(name).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  expect(name.length).toBeLessThan(160);
});
