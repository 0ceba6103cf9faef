// The completion path end to end on real servers: a request is sent, the simulator
// completes it and mails the return address, the completion watcher matches the mail,
// the signed copy is downloaded from the API and attached to the ServiceNow record —
// once, whatever else arrives.
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { getDocuments, getRequest, type RequestRow } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { ALERTS_TO, buildMail, contractPdf, sendRequest, useWorld, type World } from './world.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const attachmentsOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!.attachments;
/** The request as the simulator knows it (what signrelay stored when it sent it). */
const simulated = (world: World, request: RequestRow) => ({
  providerOrderId: getRequest(world.daemon!.db, request.id)!.providerOrderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!),
});

// The completion path runs once per provider: the provider mails the return address, the
// mail only triggers, the API's copy lands on the record once.
describe.each(PROVIDER_NAMES)('%s: a completed document', (provider) => {
  const getWorld = useWorld({ provider });

  it('is downloaded from the API and attached to the record, with a work note naming the provider', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010001');
    const downloads = world.signing.counts().downloads;
    await world.signing.signAll(simulated(world, request));
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });

    const attachments = attachmentsOf(world, 'RITM0010001');
    expect(attachments.map((a) => a.fileName)).toEqual(['contract-signed.pdf']);
    expect(attachments[0]!.hash).toBe(sha256(await world.signing.signedCopy(simulated(world, request), 0)));
    // Sent as a PDF: the instance stores whatever type it is sent (refusing it only where MIME
    // sniffing is on), and a PDF stored as another type opens as a download, not in the viewer.
    const { sysId } = world.servicenow.records.find((r) => r.number === 'RITM0010001')!;
    const uploads = world.servicenow.calls.filter((c) => c.method === 'POST' && c.path === '/api/now/attachment/file' && c.query.table_sys_id === sysId);
    expect(uploads.map((c) => c.headers['content-type'])).toEqual(['application/pdf']);
    expect(attachments[0]!.contentType).toBe('application/pdf');
    expect(world.signing.counts().downloads).toBeGreaterThan(downloads);
    expect(world.servicenow.records.find((r) => r.number === 'RITM0010001')!.journal.map((j) => j.value).join('\n'))
      .toMatch(new RegExp(`Signed via ${world.signing.displayName} \\([^)]+\\): every invitation signed, the last at [0-9: -]+ UTC as ${world.signing.displayName} reports \\(invited: Ann Lee <ann\\.lee@example\\.com>\\)`));
    await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('returns', 'Completed')).length >= 1, { timeoutMs: 5_000, what: 'the completion mail in Completed' });
  });

  it('a second completion mail is recorded and filed, never delivered twice', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010002');
    await world.signing.signAll(simulated(world, request));
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const completed = (await world.dovecot.list('returns', 'Completed')).length;
    // The provider's kind of mail again (another Message-ID), from its own sender.
    const sender = provider === 'signicat' ? 'Signicat <noreply@signicat.com>' : 'Secured Signing <noreply@securedsigning.com>';
    await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
      from: sender, to: `returns+${request.token}@corp.example`, subject: 'contract has been signed', text: 'Your document has been signed.',
    }));
    await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('returns', 'Completed')).length === completed + 1, { timeoutMs: 10_000, what: 'the second mail in Completed' });
    await world.daemon!.jobs.idle();
    expect(attachmentsOf(world, 'RITM0010002')).toHaveLength(1);
  });
});

describe('with Secured Signing', () => {
  const getWorld = useWorld();

  it('the completion mail is addressed to the request\'s return address', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010004');
    const [mail] = await world.simulator.complete(reference);
    expect(mail?.to).toBe(`returns+${request.token}@corp.example`);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    expect(world.simulator.calls.some((c) => c.path.endsWith(`/Download/GetDocumentData/${reference}`))).toBe(true);
  });


  it('an unknown token goes to Unmatched and alerts the operator', async () => {
    const world = getWorld();
    const alertsBefore = world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO)).length;
    await world.dovecot.deliver('returns+aaaaaaaaaaaaaaaaaaaa@corp.example', await buildMail({
      from: 'Secured Signing <noreply@securedsigning.com>', to: 'returns+aaaaaaaaaaaaaaaaaaaa@corp.example', subject: 'Contract RITM0010099 has been signed, see https://x.example', text: 'signed',
      attachments: [{ filename: 'contract-signed.pdf', content: await contractPdf('Unknown') }],
    }));
    await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('returns', 'Unmatched')).length === 1, { timeoutMs: 10_000, what: 'the mail in Unmatched' });
    const alerts = () => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO));
    await waitUntil(world.daemon!.events, () => alerts().length === alertsBefore + 1, { timeoutMs: 10_000, what: 'one alert mail' });
    const alert = alerts().at(-1)!;
    const text = (await simpleParser(alert.raw)).text!;
    expect(text).toMatch(/no request token or document reference/);
    // restore review H3: what the mail carries, so its record can be found by hand — a token the
    // database does not know is what a database restored from a backup shows.
    expect(text).toContain('Subject: Contract RITM0010099 has been signed, see https[:]//x.example');
    expect(text).toContain('Request token(s) this database does not know: aaaaaaaaaaaaaaaaaaaa');
    expect(text).toContain('Attachments: contract-signed.pdf');
    expect(text).toContain('is what a database restored from a backup shows');
  });

  it('a completion mail from a sender outside the allow-list goes to Unmatched and delivers nothing', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010003');
    await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
      from: 'Mallory <mallory@evil.example>', to: `returns+${request.token}@corp.example`, subject: 'signed', text: `Reference ${reference}`,
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('Forged') }],
    }));
    await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('returns', 'Unmatched')).length === 2, { timeoutMs: 10_000, what: 'the forged mail in Unmatched' });
    await world.daemon!.jobs.idle();
    expect(stateOf(world, request.id)).toBe('sent');
    expect(attachmentsOf(world, 'RITM0010003')).toHaveLength(0);
  });

  it('a completion mail an operator moves back from Unmatched is read again, not filed as a duplicate', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010005');
    // The account's completion mails come from a sender the configuration does not allow.
    const configured = world.config;
    await world.stopDaemon();
    world.config = { ...configured, completion: { ...configured.completion, allowed_senders: ['notifications@other.example'] } };
    world.startDaemon();
    const unmatched = (await world.dovecot.list('returns', 'Unmatched')).length;
    await world.signing.signAll(simulated(world, request));
    await waitUntil(world.daemon!.events, async () => (await world.dovecot.list('returns', 'Unmatched')).length === unmatched + 1, { timeoutMs: 10_000, what: 'the completion mail in Unmatched' });
    expect(stateOf(world, request.id)).toBe('sent');

    // The operator fixes the setting, restarts, and moves the mail back.
    await world.stopDaemon();
    world.config = configured;
    world.startDaemon();
    const mail = (await world.dovecot.list('returns', 'Unmatched')).at(-1)!;
    await world.dovecot.append('returns', 'INBOX', mail.raw);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    expect(attachmentsOf(world, 'RITM0010005')).toHaveLength(1);
  });
});
