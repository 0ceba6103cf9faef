// Evidence on the record, once per provider, through the whole daemon (Dovecot, the
// provider's and the ServiceNow simulator): with servicenow.attach_certificate the
// provider's evidence of the signing — Secured Signing's completion certificate, Signicat's
// task events — lands beside the signed PDF exactly once, by REST and by the instance's
// inbound email; a restart after the certificate's upload was recorded and carried out,
// but its answer never read, attaches nothing twice; with the setting off the provider is
// not even asked. A completion certificate the provider never makes, or evidence it answers
// with garbage or 500s every time, is delivered without, with one operator alert.
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import type { RecordedCall } from '../../src/sandbox/servicenow/server.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { lastEffectPhase, listEvents } from '../../src/store/events.ts';
import { getRequest, listRequests } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { waitFor } from '../support/wait-for.ts';
import { ALERTS_TO, buildMail, contractPdf, INSTANCE_ADDRESS, sendRequest, type World } from './world.ts';
import { notesOf, providerNotice, recordOf, signAndDeliver, signicatOf, simulated, useRecordWorld } from './record-world.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const CERTIFICATE_NAME = { 'secured-signing': 'contract-certificate.pdf', signicat: 'contract-signing-events.json' } as const;

/** Runs `action` when the first call matching `matches` reaches the ServiceNow simulator, before it is handled (its fault taken). */
function onFirstCall(calls: RecordedCall[], matches: (call: RecordedCall) => boolean, action: () => void): void {
  const push = calls.push.bind(calls);
  let fired = false;
  calls.push = (...items: RecordedCall[]) => {
    for (const call of items) {
      if (!fired && matches(call)) {
        fired = true;
        action();
      }
    }
    return push(...items);
  };
}

const uploadsNamed = (world: World, fileName: string) =>
  world.servicenow.calls.filter((c) => c.method === 'POST' && c.path === '/api/now/attachment/file' && c.query.file_name === fileName);

/** Restarts the world's daemon with servicenow settings changed. */
async function restartWith(world: World, servicenow: Record<string, unknown>): Promise<void> {
  await world.stopDaemon();
  world.config = configSchema.parse({ ...world.config, servicenow: { ...world.config.servicenow, ...servicenow } });
  world.startDaemon();
}

describe.each(PROVIDER_NAMES)('%s: the certificate beside the signed PDF', (provider) => {
  const getWorld = useRecordWorld({ provider, servicenow: { attach_certificate: true, timeout_seconds: 2 } });
  const certificateName = CERTIFICATE_NAME[provider];

  it('by REST: the signed PDF and the provider\'s evidence, each attached once', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010001');
    await signAndDeliver(world, request);
    const attachments = recordOf(world, 'RITM0010001').attachments;
    expect(attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf', certificateName]);
    expect(attachments[0]!.hash).toBe(sha256(await world.signing.signedCopy(simulated(world, request), 0)));
    expect(await world.signing.certificateProblem(simulated(world, request), 0, attachments[1]!.bytes)).toBeNull();
    expect(attachments[1]!.contentType).toBe(provider === 'signicat' ? 'application/json' : 'application/pdf');
    const phases = listEvents(world.daemon!.db, request.id).filter((e) => e.detail?.effect === 'certificate-1').map((e) => e.detail?.phase);
    expect(phases).toEqual(['intent', 'done']);
  });

  it('two documents whose names read alike on the record (brackets made parentheses there) keep apart, and so do their certificates', async () => {
    const world = getWorld();
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Offers for RITM0010051', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'offer [v2].pdf', content: await contractPdf('Offer draft') }, { filename: 'offer (v2).pdf', content: await contractPdf('Offer final') }],
    }));
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === 'RITM0010051'), { what: 'the request sent' });
    await signAndDeliver(world, request);
    const suffix = certificateName.slice('contract'.length);
    expect(recordOf(world, 'RITM0010051').attachments.map((a) => a.fileName).sort()).toEqual(
      ['offer (v2) (2)-signed.pdf', `offer (v2) (2)${suffix}`, 'offer (v2)-signed.pdf', `offer (v2)${suffix}`].sort());
  });

  it('by inbound email: one mail to the instance carries both, and its inbound action attaches both', async () => {
    const world = getWorld();
    const before = world.smtp.messages.length;
    const { request } = await sendRequest(world, 'RITM0010002', { to: 'sign+mail@corp.example' });
    await signAndDeliver(world, request);
    await waitFor(() => recordOf(world, 'RITM0010002').attachments.length === 2, { timeoutMs: 15_000, what: 'the inbound action to attach both', describe: () => recordOf(world, 'RITM0010002').attachments.map((a) => a.fileName) });
    const toInstance = world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => r.address === INSTANCE_ADDRESS));
    expect(toInstance).toHaveLength(1);
    expect((await simpleParser(toInstance[0]!.raw)).attachments.map((a) => a.filename)).toEqual(['contract-signed.pdf', certificateName]);
    const certificate = recordOf(world, 'RITM0010002').attachments.find((a) => a.fileName === certificateName)!;
    expect(await world.signing.certificateProblem(simulated(world, request), 0, certificate.bytes)).toBeNull();
  });

  it('by inbound email, a certificate that does not fit beside the signed PDF is left out, said in the note: the signed PDF still arrives', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010006', { to: 'sign+mail@corp.example' });
    await world.signing.signAll(simulated(world, request));
    // Room for the signed copy and not one byte more.
    const signedBytes = (await world.signing.signedCopy(simulated(world, request), 0)).byteLength;
    const limit = world.config.servicenow.max_email_attachment_bytes;
    await restartWith(world, { max_email_attachment_bytes: signedBytes });
    const before = world.smtp.messages.length;
    await providerNotice(world, request.token, 'contract has been signed');
    await waitFor(() => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const toInstance = world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => r.address === INSTANCE_ADDRESS));
    expect(toInstance).toHaveLength(1);
    const mail = await simpleParser(toInstance[0]!.raw);
    expect(mail.attachments.map((a) => a.filename)).toEqual(['contract-signed.pdf']);
    expect(mail.text).toContain(`${certificateName} did not fit in the mail beside the signed document (servicenow.max_email_attachment_bytes and max_email_attachment_count)`);
    // Retention deletes signrelay's copy: the record is told until when it is kept (audit review L2).
    expect(mail.text).toContain(`signrelay keeps it until ${new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10)} (schedule.retention.days)`);
    const intent = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.effect === 'inbound-email' && e.detail?.phase === 'intent');
    expect(intent?.detail).toMatchObject({ certificatesLeftOut: [certificateName] });
    await restartWith(world, { max_email_attachment_bytes: limit });
  });

  it('an upload the instance refuses for good (a file type it does not take): the signed PDF delivered, the note written, one alert', async () => {
    const world = getWorld();
    onFirstCall(world.servicenow.calls, (c) => c.method === 'POST' && c.query.file_name === certificateName,
      () => world.servicenow.failNext('/api/now/attachment/file', { status: 415 }));
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO));
    const alertsBefore = alerts().length;
    const { request } = await sendRequest(world, 'RITM0010005');
    await signAndDeliver(world, request);
    expect(recordOf(world, 'RITM0010005').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    expect(lastEffectPhase(world.daemon!.db, request.id, 'certificate-1')).toBe('refused');
    expect(lastEffectPhase(world.daemon!.db, request.id, 'work-note')).toBe('done');
    await waitFor(() => alerts().length === alertsBefore + 1, { timeoutMs: 10_000, what: 'one alert' });
    expect((await simpleParser(alerts().at(-1)!.raw)).text).toContain('a certificate beside the signed copy');
  });

  it('a restart after the certificate\'s upload was recorded and carried out, its answer never read: found on the record, not attached again', async () => {
    const world = getWorld();
    // The certificate's upload reaches the instance and is carried out; its answer never comes.
    onFirstCall(world.servicenow.calls, (c) => c.method === 'POST' && c.query.file_name === certificateName,
      () => world.servicenow.failNext('/api/now/attachment/file', { kind: 'hang' }));
    const { request } = await sendRequest(world, 'RITM0010003');
    await world.signing.signAll(simulated(world, request));
    await providerNotice(world, request.token, 'contract has been signed');
    await waitFor(() => recordOf(world, 'RITM0010003').attachments.some((a) => a.fileName === certificateName), { timeoutMs: 20_000, what: 'the certificate carried out at the instance' });
    expect(lastEffectPhase(world.daemon!.db, request.id, 'certificate-1')).toBe('intent');

    await restartWith(world, {}); // the stop waits out the hanging upload (its timeout): the outcome stays unknown
    await waitFor(() => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered after the restart' });
    expect(recordOf(world, 'RITM0010003').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf', certificateName]);
    expect(uploadsNamed(world, certificateName).filter((c) => c.query.table_sys_id === recordOf(world, 'RITM0010003').sysId)).toHaveLength(1);
    const done = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.effect === 'certificate-1' && e.detail?.phase === 'done');
    expect(done?.detail).toMatchObject({ resolvedBy: 'attachment list' });
  });

  it('with the setting off: the signed PDF alone, and the provider is not asked for a certificate', async () => {
    const world = getWorld();
    await restartWith(world, { attach_certificate: false });
    try {
      const { request, reference } = await sendRequest(world, 'RITM0010004');
      await signAndDeliver(world, request);
      const orderId = getRequest(world.daemon!.db, request.id)!.providerOrderId;
      const askedForEvidence = provider === 'signicat'
        ? signicatOf(world)!.calls.filter((c) => c.path.startsWith(`/orders/${orderId}/`) && c.path.endsWith('/events'))
        : world.simulator.calls.filter((c) => c.path.endsWith(`/Document/SigningCompletionCertificate/${reference}`));
      expect(askedForEvidence).toEqual([]);
      expect(recordOf(world, 'RITM0010004').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
      expect(listEvents(world.daemon!.db, request.id).some((e) => e.detail?.certificate !== undefined || String(e.detail?.effect).startsWith('certificate'))).toBe(false);
      expect(getRequest(world.daemon!.db, request.id)!.state).toBe('delivered');
    } finally {
      await restartWith(world, { attach_certificate: true });
    }
  });
});

describe('secured-signing: a completed document without a certificate', () => {
  const getWorld = useRecordWorld({ servicenow: { attach_certificate: true } });

  it('is asked for a few times, then delivered without it, with one operator alert', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010005');
    await world.simulator.complete(reference);
    world.simulator.documents.get(reference)!.certificate = undefined; // the service never made one
    const alertsBefore = world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO)).length;
    await providerNotice(world, request.token, 'contract has been signed');
    await waitFor(() => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered without a certificate' });
    expect(recordOf(world, 'RITM0010005').attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const asked = world.simulator.calls.filter((c) => c.path.endsWith(`/Document/SigningCompletionCertificate/${reference}`));
    expect(asked.length).toBe(4);
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO));
    await waitFor(() => alerts().length === alertsBefore + 1, { timeoutMs: 10_000, what: 'one alert' });
    const alert = await simpleParser(alerts().at(-1)!.raw);
    expect(alert.subject).toBe(`[signrelay] no Secured Signing certificate for RITM0010005 (request ${request.id})`);
    expect(alert.text).toMatch(/servicenow\.attach_certificate is on, but Secured Signing gave no completion certificate for contract\.pdf/);
  });
});

describe('signicat: task events that cannot be read never hold up the signed PDF', () => {
  const getWorld = useRecordWorld({ provider: 'signicat', servicenow: { attach_certificate: true } });

  it.each([
    ['garbage (an HTML page) for the events', 'RITM0010001', { kind: 'malformed', times: 50 }],
    ['HTTP 500 for the events', 'RITM0010002', { status: 500, times: 50 }],
  ] as const)('answered with %s every time: the signed PDF is delivered without evidence, with one operator alert', async (_name, record, fault) => {
    const world = getWorld();
    const { request } = await sendRequest(world, record);
    const sent = getRequest(world.daemon!.db, request.id)!;
    const eventsPath = `/orders/${sent.providerOrderId}/tasks/${sent.providerTasks[0]!.id}/events`;
    signicatOf(world)!.failNext(eventsPath, { ...fault });
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && (m.parsed?.subject ?? '').includes(`request ${request.id}`));
    await signAndDeliver(world, request);
    expect(recordOf(world, record).attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    const db = world.daemon!.db;
    // Four checks, counted per document from the trail (not the job's attempts, which include the waits for completion).
    expect(listEvents(db, request.id).filter((e) => e.detail?.certificateCheck === 1)).toHaveLength(4);
    // The status reads ask the same events for the signing time (audit review M3): failing, they give none, and hold nothing up.
    expect(signicatOf(world)!.calls.filter((c) => c.path.endsWith(eventsPath)).length).toBeGreaterThan(4);
    expect(notesOf(world, record).at(-1)).toMatch(/^Signed via Signicat \(order [^)]+\): every invitation signed \(invited: /); // no time: the first signer's is unknown
    expect(listEvents(db, request.id).find((e) => e.detail?.certificate === 1)?.detail?.unavailable).toMatch(/after 4 checks/);
    // One alert raised (its mail is held back within alerts.min_interval_minutes after the other case's).
    await world.daemon!.jobs.idle();
    const raised = listEvents(db, request.id).filter((e) => e.detail?.alert === 'certificate');
    expect(raised.map((e) => e.detail?.subject)).toEqual([`no Signicat certificate for ${record} (request ${request.id})`]);
    expect(alerts().length).toBeLessThanOrEqual(1);
    expect(getRequest(db, request.id)!.state).toBe('delivered');
  });
});
