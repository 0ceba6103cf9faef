// Signicat deletes any order, a signed one too — unlike Secured Signing, which refuses to
// withdraw a completed document (the cancel job relied on that). A cancel whose status read
// came just before the last signature deleted the fully signed order, recorded it withdrawn,
// and told nobody (Signicat review H1); and with every signer signed but the PAdES package
// still in the making, the status read "in progress" and the cancel went ahead without any race.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCancelHandler } from '../../src/completion/cancel-request.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { createSignicatClient } from '../../src/providers/signicat/client.ts';
import { documentStatusOf } from '../../src/providers/signicat/order-status.ts';
import { signingOutcome, type SentDocument, type SigningProvider } from '../../src/providers/provider.ts';
import { startSignicatSimulator, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { listEvents } from '../../src/store/events.ts';
import type { JobRow } from '../../src/store/jobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference, setSendResult, transition } from '../../src/store/requests.ts';
import { contractPdf } from '../integration/world.ts';

let sim: SignicatSimulator;
beforeAll(async () => {
  sim = await startSignicatSimulator({ clients: { c: { secret: 's' } } });
});
afterAll(() => sim.close());

const TOKEN = 'abcdefghijklmnopqrst';

it('a cancel racing the last signature leaves the signed order at Signicat, and the operators are told', async () => {
  const config = configSchema.parse({
    mailboxes: { requests: { host: 'h', user: 'u', password: 'p', address: 'sign@corp.example' }, returns: { address: 'returns@corp.example', folder: 'Returns' } },
    smtp: { host: 'h', from: 'signrelay <sign@corp.example>' },
    provider: { type: 'signicat', base_url: sim.url, token_url: sim.tokenUrl, client_id: 'c', client_secret: 's', signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }], timeout_seconds: 5 },
    servicenow: { instance_url: 'https://acme.service-now.com', auth: { type: 'basic', user: 'u', password: 'p' }, work_note: false },
    alerts: { to: ['admins@corp.example'] },
    routes: { default: {} },
  });
  if (config.provider.type !== 'signicat') throw new Error('signicat');
  let orderId = '';
  const client = createSignicatClient({ config: config.provider });
  // Bob signs at Signicat a moment after the cancel read the order's status.
  const provider: SigningProvider = Object.assign(Object.create(client) as SigningProvider, {
    async status(document: SentDocument) {
      const read = await client.status(document);
      await sim.signTask(orderId, 'signer-2');
      return read;
    },
  });
  const ann = { firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' };
  const bob = { firstName: 'Bob', lastName: 'Stone', email: 'bob@example.com' };
  const { reference } = await provider.upload({ fileName: 'contract.pdf', bytes: await contractPdf(), clientReference: TOKEN });
  const sent = await provider.send({
    documentReferences: [reference], dueAt: new Date(Date.now() + 10 * 86_400_000), signers: [ann, bob], packageName: 'RITM0010001',
    token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, route: {},
  });
  orderId = sent.orderId!;
  await sim.signTask(orderId, 'signer-1'); // Ann signed; Bob is about to

  const db = openDatabase(mkdtempSync(join(tmpdir(), 'sig-cancel-race-')));
  const now = () => new Date();
  const id = insertRequest(db, {
    token: TOKEN, state: 'received', route: 'default', provider: 'signicat', requester: 'helen@corp.example', subject: 'RITM0010001',
    messageId: null, record: { number: 'RITM0010001' }, signers: [ann, bob], dueDate: '2099-01-31',
    documents: [{ fileName: 'contract.pdf', originalSha256: 'a'.repeat(64) }],
  }, now());
  for (const state of ['stamped', 'uploaded'] as const) transition(db, id, state, now());
  setDocumentReference(db, id, 1, reference);
  db.transaction(() => {
    setSendResult(db, id, sent);
    transition(db, id, 'sent', now());
  })();

  const handler = createCancelHandler({ db, config, provider, logger: silentLogger(), now });
  const job = { id: 1, kind: 'cancel', requestId: id, payload: { reason: 'wrong file' }, attempts: 0 } as unknown as JobRow;
  const err = await handler.run(job).catch((e: unknown) => e);
  expect(err).toMatchObject({ kind: 'permanent', code: 'provider_signed_before_withdrawal' });
  handler.onGiveUp!(job, (err as Error).message);
  // Cancelled here (its status read came first), but the withdrawal is not recorded done, and the operators hear of it.
  expect(getRequest(db, id)!.state).toBe('cancelled');
  const events = listEvents(db, id);
  expect(events.filter((e) => e.detail?.effect === 'withdraw-1').map((e) => e.detail!.phase)).toEqual(['intent']);
  const alert = events.find((e) => e.detail?.alert === 'undeliverable')?.detail as { text: string } | undefined;
  expect(alert?.text).toContain('had signed before signrelay could withdraw it: it was not deleted, and its signed document stays at Signicat');
  // At Signicat the signed order is there, its signed document downloadable.
  const order = sim.orders.get(orderId)!;
  expect(order.deleted).toBeFalsy();
  const signed = await provider.download({ reference, kept: sent.documents[0]!, orderId });
  expect(signed).toBeDefined();
});

it('every signer signed, the PAdES package still in the making: the signing has ended, and a cancel comes too late', () => {
  const status = documentStatusOf('doc', [
    { taskId: 'signer-1', signer: 'ann@example.com', status: 'COMPLETED' },
    { taskId: 'signer-2', signer: 'bob@example.com', status: 'COMPLETED' },
  ], 'CREATED');
  expect(status.phase).toBe('completed');
  // cancel-request.ts endedAtProvider: an ended signing stops the cancel (the complete job delivers it, its download waiting for the package).
  expect(signingOutcome([status]).ended).toBe('completed');
});
