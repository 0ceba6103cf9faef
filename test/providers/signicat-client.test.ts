// The Signicat provider against the Signicat simulator over real HTTP and real SMTP: the
// order it creates (one task per signer, in order; invitations with the signing link; the
// notices to the return address), the statuses it reads, the signed copy it downloads
// (one PAdES file per document with several signers), a decline with its reason, a
// withdrawal, a lost send found again through the order's notice, and the operator's
// errors (refused credentials, a refused order) without secrets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type SignicatConfig } from '../../src/config/schema.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import type { SendInput, SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { createSignicatClient } from '../../src/providers/signicat/client.ts';
import { startSignicatSimulator, type SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { contractPdf } from '../integration/world.ts';
import { bytesOf } from '../support/chunks.ts';

const CLIENT_ID = 'signrelay-client';
const CLIENT_SECRET = 'signicat-secret-do-not-log-5e1';
const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const RETURN_ADDRESS = `returns+${TOKEN}@corp.example`;
const ANN = { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com', mobile: '+4791234567' };
const BOB = { firstName: 'Bob', lastName: 'Stone', email: 'bob.stone@example.com' };

let sim: SignicatSimulator;
let smtp: SmtpSink;

function config(overrides: Record<string, unknown> = {}): SignicatConfig {
  const parsed = configSchema.shape.provider.parse({
    type: 'signicat', base_url: sim.url, token_url: sim.tokenUrl, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
    signature_methods: [{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }], timeout_seconds: 5, ...overrides,
  });
  if (parsed.type !== 'signicat') throw new Error('not a signicat config');
  return parsed;
}

const client = (overrides: Record<string, unknown> = {}): SigningProvider => createSignicatClient({ config: config(overrides) });

function sendInput(references: string[], signers = [ANN, BOB]): SendInput {
  return {
    documentReferences: references, dueAt: new Date(`${new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)}T23:59:59Z`), signers, packageName: 'RITM0010001 (signrelay r_1)',
    token: TOKEN, returnAddress: RETURN_ADDRESS, route: {},
  };
}

async function sent(provider: SigningProvider, signers = [ANN, BOB]): Promise<{ orderId: string; documents: SentDocument[] }> {
  const { reference } = await provider.upload({ fileName: 'contract--signrelay-x.pdf', bytes: await contractPdf(), clientReference: `${TOKEN}-1` });
  const result = await provider.send(sendInput([reference], signers));
  return { orderId: result.orderId!, documents: result.documents.map((kept) => ({ reference, kept, orderId: result.orderId })) };
}

beforeAll(async () => {
  smtp = await startSmtpSink();
  sim = await startSignicatSimulator({ clients: { [CLIENT_ID]: { secret: CLIENT_SECRET } }, smtp: { host: '127.0.0.1', port: smtp.port } });
});
afterAll(async () => {
  await sim.close();
  await smtp.close();
});

describe('the Signicat provider', () => {
  it('creates one order: a task per signer in order, every document signed, invitations with the link, notices to the return address', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    const order = sim.orders.get(orderId)!;
    const body = sim.calls.find((c) => c.method === 'POST' && c.path.endsWith('/orders') && c.status === 201)!.body as Record<string, any>;
    expect(body.clientReference).toBe(TOKEN);
    expect(body.tasks.map((t: any) => [t.id, t.dependsOnTasks ?? []])).toEqual([['signer-1', []], ['signer-2', ['signer-1']]]);
    expect(body.tasks[0].signatureMethods).toEqual([{ name: 'nbid-sign', type: 'SIGNED_STATEMENT' }]);
    expect(body.tasks[0].language).toBe('en');
    expect(body.tasks[0].daysToLive).toBe(10);
    expect(body.tasks[0].documents).toEqual([expect.objectContaining({ id: 'doc-1', action: 'SIGN', source: 'SESSION', documentRef: documents[0]!.reference })]);
    expect(body.packagingTasks).toEqual([expect.objectContaining({ id: 'package-1', method: 'pades' })]);
    expect(body.notifications).toEqual([expect.objectContaining({ type: 'EMAIL', recipient: RETURN_ADDRESS })]);
    expect(documents[0]!.kept).toEqual({ documentId: 'doc-1', packagingTaskId: 'package-1', tasks: [{ id: 'signer-1', signer: ANN.email }, { id: 'signer-2', signer: BOB.email }] });

    await sim.settled();
    const invite = await smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === ANN.email), 10_000);
    expect(invite.parsed!.subject).toBe('Please sign: RITM0010001 (signrelay r_1)');
    expect(invite.parsed!.text).toContain(order.tasks[0]!.signingUrl);
    const notice = await smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === RETURN_ADDRESS), 10_000);
    expect(notice.parsed!.subject).toBe(`Signing order ${orderId} created`);
    expect(notice.parsed!.text).toContain(TOKEN);
    expect(notice.parsed!.text).not.toContain(order.tasks[0]!.signingUrl);
    // Ann gave a mobile number: she is invited by SMS too; Bob is not.
    expect(sim.notifications.filter((n) => n.channel === 'SMS').map((n) => n.to)).toEqual(['+4791234567']);
  });

  it('reads the order as in progress until everyone signed and the package is made, then downloads one signed PDF', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    expect(await provider.status(documents[0]!)).toMatchObject({ phase: 'in-progress', raw: '0 of 2 tasks COMPLETED', sent: true });
    await sim.signTask(orderId, 'signer-1');
    expect(await provider.status(documents[0]!)).toMatchObject({ phase: 'in-progress', signers: [{ email: ANN.email, hasSigned: true }, { email: BOB.email, hasSigned: false }] });
    await expect(provider.download(documents[0]!)).rejects.toMatchObject({ kind: 'transient', code: 'not_complete_yet' });
    await sim.signTask(orderId, 'signer-2');
    expect(await provider.status(documents[0]!)).toMatchObject({ phase: 'completed', raw: 'COMPLETED' });
    // The simulator's signing page names each signer by the address they were invited at.
    const text = (await extractPdfText(await bytesOf(provider.download(documents[0]!)))).join('\n');
    expect(text).toContain(ANN.email);
    expect(text).toContain(BOB.email);
  });

  it('each signature\'s time is its task\'s TASK_COMPLETED event, read once per task; events that cannot be read or name no readable time give none', async () => {
    let clock = Date.now();
    const provider = createSignicatClient({ config: config(), now: () => clock });
    const { orderId, documents } = await sent(provider);
    await sim.signTask(orderId, 'signer-1');
    const events = sim.orders.get(orderId)!.tasks[0]!.events as unknown as Array<Record<string, unknown>>;
    const completed = events.find((e) => e.eventType === 'TASK_COMPLETED')!;
    completed.eventTime = '2026-12-05T16:03:27+02:00';
    const first = await provider.status(documents[0]!);
    expect(first.signers).toEqual([{ email: ANN.email, hasSigned: true, signedAt: new Date('2026-12-05T14:03:27Z') }, { email: BOB.email, hasSigned: false }]);
    expect(first.lastSignedAt).toEqual(new Date('2026-12-05T14:03:27Z'));
    const eventReads = () => sim.calls.filter((c) => c.method === 'GET' && c.path.endsWith(`/orders/${orderId}/tasks/signer-1/events`)).length;
    const before = eventReads();
    await provider.status(documents[0]!);
    expect(eventReads()).toBe(before); // a completed task's events do not change: not read again

    // Bob's events cannot be read at first: no time, the status stands; they are not asked for
    // at every status read after (diff review 21: each read paid a failing call), but again a while later.
    await sim.signTask(orderId, 'signer-2');
    sim.failNext(`/orders/${orderId}/tasks/signer-2/events`, { kind: 'malformed' });
    const bobReads = () => sim.calls.filter((c) => c.method === 'GET' && c.path.endsWith(`/orders/${orderId}/tasks/signer-2/events`)).length;
    const unread = await provider.status(documents[0]!);
    expect(unread).toMatchObject({ phase: 'completed' });
    expect(unread.signers[1]).toEqual({ email: BOB.email, hasSigned: true });
    expect(unread).not.toHaveProperty('lastSignedAt'); // Bob's unknown time may be the latest
    const failedReads = bobReads();
    expect((await provider.status(documents[0]!)).signers[1]).toEqual({ email: BOB.email, hasSigned: true });
    expect(bobReads()).toBe(failedReads);
    clock += 16 * 60_000;
    expect((await provider.status(documents[0]!)).signers[1]!.signedAt).toBeInstanceOf(Date);
    expect(bobReads()).toBe(failedReads + 1);
  });

  it('a TASK_COMPLETED time that is no time — no zone, junk, markup — is no time, never copied', async () => {
    for (const eventTime of ['2026-12-05T14:03:27', 'yesterday', '<img src=x onerror=alert(1)>', '2026-02-30T10:00:00Z', 42]) {
      const provider = client();
      const { orderId, documents } = await sent(provider, [BOB]);
      await sim.signAll(orderId);
      const events = sim.orders.get(orderId)!.tasks[0]!.events as unknown as Array<Record<string, unknown>>;
      events.find((e) => e.eventType === 'TASK_COMPLETED')!.eventTime = eventTime;
      const status = await provider.status(documents[0]!);
      expect(status).toMatchObject({ phase: 'completed', signers: [{ email: BOB.email, hasSigned: true }] });
      expect(status.signers[0]).not.toHaveProperty('signedAt');
      expect(status).not.toHaveProperty('lastSignedAt');
    }
  });

  it('a single signer without packaging: the task\'s own result', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider, [BOB]);
    expect(documents[0]!.kept).not.toHaveProperty('packagingTaskId');
    await sim.signAll(orderId);
    expect(await provider.status(documents[0]!)).toMatchObject({ phase: 'completed' });
    expect((await extractPdfText(await bytesOf(provider.download(documents[0]!)))).join('\n')).toContain(BOB.email);
  });

  it('a rejection is a decline, with the signer and the reason they gave', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    await sim.rejectTask(orderId, 'signer-1', 'wrong salary figure');
    expect(await provider.status(documents[0]!)).toMatchObject({
      phase: 'declined', raw: `REJECTED by ${ANN.email}`, signers: [{ email: ANN.email, hasSigned: false, declinedReason: 'wrong salary figure' }, { email: BOB.email }],
    });
  });

  it('the evidence of a document: not before every task is COMPLETED; then every task\'s events about it, rebuilt as plain JSON', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    await sim.signTask(orderId, 'signer-1');
    await expect(provider.downloadCertificate(documents[0]!)).rejects.toMatchObject({ kind: 'transient', code: 'certificate_not_ready' });
    await sim.signTask(orderId, 'signer-2');
    // What the service says is outside text: extra fields and another document's events must not reach the record.
    const events = sim.orders.get(orderId)!.tasks[1]!.events as unknown as Array<Record<string, unknown>>;
    events.push({ eventType: 'DOCUMENT_SIGNED', eventTime: '2030-01-01T00:00:00Z', data: 'doc-9' });
    events.push({ eventType: 'TASK_COMPLETED', eventTime: '2030-01-01T00:00:00Z', signingUrl: 'https://sign.example/secret-link', html: '<img src=x onerror=alert(1)>' });
    events.push({ eventType: 42, data: 'not an event' });
    const certificate = await provider.downloadCertificate(documents[0]!);
    expect(certificate).toMatchObject({ contentType: 'application/json', fileSuffix: '-signing-events.json' });
    const text = new TextDecoder().decode(certificate.bytes);
    const evidence = JSON.parse(text) as { orderId: string; documentId: string; tasks: Array<{ taskId: string; invited: string; status: string; events: Array<Record<string, unknown>> }> };
    expect(evidence).toMatchObject({ orderId, documentId: 'doc-1', tasks: [{ taskId: 'signer-1', invited: ANN.email, status: 'COMPLETED' }, { taskId: 'signer-2', invited: BOB.email, status: 'COMPLETED' }] });
    expect(evidence.tasks[0]!.events.map((e) => e.eventType)).toEqual(expect.arrayContaining(['TASK_CREATED', 'DOCUMENT_SIGNED', 'TASK_COMPLETED']));
    for (const e of evidence.tasks.flatMap((t) => t.events)) expect(Object.keys(e).every((k) => ['eventType', 'eventTime', 'data'].includes(k))).toBe(true);
    expect(text).not.toMatch(/doc-9|secret-link|onerror|not an event/);
  });

  it('a garbled events answer is a bad response (transient, the call named), never a SyntaxError', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    await sim.signTask(orderId, 'signer-1');
    await sim.signTask(orderId, 'signer-2');
    sim.failNext(`/orders/${orderId}/tasks/signer-1/events`, { kind: 'malformed' });
    await expect(provider.downloadCertificate(documents[0]!)).rejects.toMatchObject({ name: 'SignrelayError', kind: 'transient', code: 'provider_bad_response', message: expect.stringMatching(/read the events of task signer-1.*HTML page/) });
  });

  it('withdraws the order once, and a second withdrawal of the same order is fine', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    await provider.cancel(documents[0]!);
    await provider.cancel(documents[0]!);
    expect(await provider.status(documents[0]!)).toMatchObject({ phase: 'withdrawn', raw: 'DELETED' });
    expect(sim.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/orders/${orderId}`)).map((c) => c.status)).toEqual([204, 404]);
  });

  it('an order deleted already (the first document of a request withdrew it) counts as withdrawn, also where its tasks\' status answers 404', async () => {
    const provider = client();
    const { orderId, documents } = await sent(provider);
    await provider.cancel(documents[0]!);
    // The simulator answers DELETED for a deleted order's task; the real service may answer 404 there, as it does for the order.
    sim.failNext(`/orders/${orderId}/tasks/signer-1/status`, { status: 404, body: { title: 'Not Found', status: 404 } });
    await expect(provider.cancel(documents[0]!)).resolves.toBeUndefined();
  });

  it('cannot move a due date: capabilities.extend is off, and a call anyway is a clear programming error that asks Signicat nothing', async () => {
    const provider = client();
    expect(provider.capabilities.extend).toBe(false);
    const { documents } = await sent(provider);
    const before = sim.calls.length;
    await expect(provider.extend(documents[0]!, new Date(Date.now() + 30 * 86_400_000))).rejects.toMatchObject({ kind: 'permanent', code: 'provider_cannot_extend' });
    expect(sim.calls.length).toBe(before);
  });

  it('finds a lost send again only through an order that carries the request\'s token, and waits for the notice while it may come', async () => {
    const provider = client();
    const { orderId } = await sent(provider);
    const other = await client().send({ ...sendInput([(await provider.upload({ fileName: 'x.pdf', bytes: await contractPdf(), clientReference: 'x' })).reference]), token: 'othertokenothertoken' });
    const base = { documentReferences: ['ignored'], token: TOKEN };
    expect(await provider.findSent({ ...base, announcedOrderIds: ['no-such-order-0000', other.orderId!, orderId, TOKEN] })).toMatchObject({
      orderId, tasks: [{ id: 'signer-1', signer: ANN.email }, { id: 'signer-2', signer: BOB.email }],
      documents: [{ documentId: 'doc-1', packagingTaskId: 'package-1' }],
    });
    await expect(provider.findSent({ ...base, announcedOrderIds: [other.orderId!], stillWaiting: true })).rejects.toMatchObject({ kind: 'transient', code: 'provider_send_unconfirmed' });
    expect(await provider.findSent({ ...base, announcedOrderIds: [], stillWaiting: false })).toBeNull();
  });

  it('a forged id a notice named that Signicat refuses (400, not 404) does not end the search, and is asked once', async () => {
    const provider = client();
    const { orderId } = await sent(provider);
    const base = { documentReferences: ['ignored'], token: TOKEN };
    sim.failNext('/orders/NotAGuid0001', { status: 400, body: { type: 'about:blank', title: 'Bad Request', status: 400 } });
    expect(await provider.findSent({ ...base, announcedOrderIds: ['NotAGuid0001', orderId] })).toMatchObject({ orderId });
    const asked = () => sim.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/orders/NotAGuid0001')).length;
    expect(asked()).toBe(1);
    await provider.findSent({ ...base, announcedOrderIds: ['NotAGuid0001', orderId] });
    expect(asked()).toBe(1);
  });

  it('an order read answered 200 with something that is not an order is asked again, never taken for "not this request\'s"', async () => {
    const provider = client();
    const { orderId } = await sent(provider);
    const base = { documentReferences: ['ignored'], token: TOKEN, stillWaiting: false };
    sim.failNext(`/orders/${orderId}`, { status: 200, body: {} });
    // Taken for another request's order, the lost send was "not sent": a second order, every signer invited twice.
    await expect(provider.findSent({ ...base, announcedOrderIds: [orderId] })).rejects.toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(await provider.findSent({ ...base, announcedOrderIds: [orderId] })).toMatchObject({ orderId });
  });

  it('asks about the first 20 ids its notices named, however many forged notices named more', async () => {
    const provider = client();
    const { orderId } = await sent(provider);
    const forged = Array.from({ length: 60 }, (_, i) => `forged-order-${i}`);
    const before = sim.calls.length;
    expect(await provider.findSent({ documentReferences: ['ignored'], token: TOKEN, announcedOrderIds: [orderId, ...forged] })).toMatchObject({ orderId });
    await provider.findSent({ documentReferences: ['ignored'], token: TOKEN, announcedOrderIds: [...forged, orderId], stillWaiting: false }).catch(() => undefined);
    expect(sim.calls.slice(before).filter((c) => c.method === 'GET' && /\/orders\/forged-order-/.test(c.path)).length).toBeLessThanOrEqual(20);
  });

  it('renews a bearer token Signicat stopped accepting, once', async () => {
    const provider = client();
    await sent(provider);
    sim.revokeTokens();
    await expect(sent(provider)).resolves.toMatchObject({ orderId: expect.any(String) });
  });

  it('names the settings when the token endpoint refuses the client, and shows no secret', async () => {
    const err = await client({ client_secret: 'wrong-secret-also-secret' }).upload({ fileName: 'x.pdf', bytes: await contractPdf(), clientReference: 'x' }).catch((e: unknown) => e) as Error;
    expect(err).toMatchObject({ kind: 'auth', code: 'provider_token_refused' });
    expect(err.message).toMatch(/^Signicat refused to obtain an access token \(client_credentials grant\) \(HTTP 401: .*\): check provider\.client_id, provider\.client_secret, provider\.client_auth/);
    expect(err.message).not.toContain('wrong-secret-also-secret');
  });

  it('says which fields Signicat refused in an order, by their paths', async () => {
    // A method Signicat does not offer this client is refused by the service, not the schema.
    sim.failNext('/orders', { status: 400, body: { type: 'about:blank', title: 'Constraint Violation', status: 400, violations: [{ propertyPath: 'tasks[0].signatureMethods[0].name', message: 'unknown signature method nbid-sign' }] } });
    const err = await sent(client()).catch((e: unknown) => e) as Error;
    expect(err).toMatchObject({ kind: 'permanent', code: 'provider_rejected' });
    expect(err.message).toBe('Signicat refused to create the signing order for RITM0010001 (signrelay r_1) (POST /orders) (HTTP 400): Constraint Violation: tasks[0].signatureMethods[0].name: unknown signature method nbid-sign; the request will not succeed as it is');
  });
});
