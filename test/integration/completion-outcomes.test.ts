// What the provider says decides the outcome, not the mail: a forged attachment loses to
// the API's copy; declined and expired documents tell the requester and note the record;
// the email delivery mode reaches the record through the instance's inbound email, and mails
// it nothing the instance would discard; one document of several declined or expired: the
// others still out are withdrawn, and the notice and the note say which, and which had been
// signed.
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { queueCompleteJob } from '../../src/store/sent-requests.ts';
import type { SignicatSimulator } from '../../src/sandbox/signicat/server.ts';
import { getDocuments, getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, INSTANCE_ADDRESS, sendRequest, useWorld, type World } from './world.ts';

// The simulator completes documents without mailing: each test sends the mail it needs.
const getSecuredSigningWorld = useWorld({ completionMails: false });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;

/** The daemon stopped and started again with `servicenow` laid over its settings. */
async function restartWith(world: World, servicenow: Record<string, unknown>): Promise<void> {
  await world.stopDaemon();
  world.config = configSchema.parse({ ...world.config, servicenow: { ...world.config.servicenow, ...servicenow } });
  world.startDaemon();
}

async function mailReturn(world: World, token: string, subject: string, attachment?: Uint8Array): Promise<void> {
  await world.dovecot.deliver(`returns+${token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${token}@corp.example`, subject, text: subject,
    attachments: attachment ? [{ filename: 'contract.pdf', content: attachment }] : undefined,
  }));
}

describe('authenticity', () => {
  it('a forged signed PDF in the mail loses to the API copy', async () => {
    const world = getSecuredSigningWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010004');
    await world.simulator.complete(reference);
    const forged = await contractPdf('Forged terms');
    await mailReturn(world, request.token, 'contract has been signed', forged);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const [attachment] = recordOf(world, 'RITM0010004').attachments;
    expect(attachment!.hash).toBe(sha256(world.simulator.documents.get(reference)!.signedBytes!));
    expect(attachment!.hash).not.toBe(sha256(forged));
    // The trail says the mail carried a PDF, and that none was kept (its From is not vouched for): not "no attachment".
    const received = listEvents(world.daemon!.db, request.id).find((e) => e.kind === 'mail' && e.detail?.received === 'completion')!;
    expect(received.detail).toMatchObject({ pdfsInMail: 1, keptPdfs: [] });
  });
});

describe('a completion mail whose address carries no token', () => {
  it('is matched by the token in its first PDFs, and at most three PDFs are read for it', async () => {
    const world = getSecuredSigningWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010006');
    const stamped = world.simulator.documents.get(reference)!.bytes; // the upload: the token in its metadata
    const other = await contractPdf('Another document');
    const mail = async (pdfs: Uint8Array[]) => {
      const raw = await buildMail({
        from: 'Secured Signing <noreply@securedsigning.com>', to: 'returns@corp.example', subject: 'Your document has been signed', text: 'Signed.',
        attachments: pdfs.map((content, i) => ({ filename: `signed-${i + 1}.pdf`, content })),
      });
      await world.dovecot.deliver('returns@corp.example', raw);
      const messageId = /^Message-ID:\s*(\S+)/im.exec(raw.toString('latin1'))![1]!;
      return waitUntil(world.daemon!.events, () => world.daemon!.db.prepare("SELECT outcome, reason FROM messages WHERE mailbox = 'returns' AND message_id = ?").get(messageId) as { outcome: string; reason: string } | undefined,
        { what: 'the completion mail filed' });
    };
    // The token in the fourth PDF only: a mail of thousands of PDFs is not read PDF by PDF.
    expect(await mail([other, other, other, stamped])).toMatchObject({ outcome: 'unmatched', reason: 'no request token or document reference of a known request in it' });
    expect(await mail([other, stamped])).toMatchObject({ outcome: 'completion', reason: `matched request ${request.id} by attachment-token` });
  });
});

describe('one document of several declined or expired (Secured Signing keeps a status per document)', () => {
  async function sendThree(world: World, record: string) {
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: `Contract for ${record}`, text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf('Contract') }, { filename: 'nda.pdf', content: await contractPdf('NDA') }, { filename: 'annex.pdf', content: await contractPdf('Annex') }],
    }));
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === record), { what: 'sent' });
    await waitUntil(world.daemon!.events, () => !jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'mail' && j.state === 'pending'), { what: 'the acknowledgement out' });
    return { request, refs: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!) };
  }
  const deletes = (world: World, reference: string) => world.simulator.calls.filter((c) => c.method === 'DELETE' && c.path.includes(`/Document/${reference}`));

  it('the contract signed, the NDA declined: the annex withdrawn once, the signed contract named as left at the provider, nothing attached (multidoc review M2)', async () => {
    const world = getSecuredSigningWorld();
    const { request, refs } = await sendThree(world, 'RITM0010008');
    const [contract, nda, annex] = refs as [string, string, string];
    await world.simulator.complete(contract);
    world.simulator.decline(nda, 'I will not sign the NDA');
    const before = world.smtp.messages.length;
    queueCompleteJob(world.daemon!.db, request.id, { reconcile: 'declined' }, new Date()); // what reconciliation queues
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'withdraw' && j.state === 'done'), { timeoutMs: 20_000, what: 'the withdraw job done' });
    expect(stateOf(world, request.id)).toBe('declined');
    expect(deletes(world, annex)).toHaveLength(1);
    expect(deletes(world, contract)).toHaveLength(0);
    expect(deletes(world, nda)).toHaveLength(0);
    expect(world.simulator.documents.has(annex)).toBe(false); // nobody can sign it now: no completion of a declined request to lose

    const notices = () => world.smtp.messages.filter((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === request.requester));
    await world.smtp.waitFor((m) => notices().includes(m), 10_000);
    const text = (await simpleParser(notices()[0]!.raw)).text!;
    expect(text).toMatch(/was declined, so nothing was attached/);
    expect(text).toContain('I will not sign the NDA');
    expect(text).toContain('Withdrawn from signing at Secured Signing: annex.pdf.');
    expect(text).toContain(`Signed by every signer before the decline: contract.pdf (reference ${contract}).`);
    const record = recordOf(world, 'RITM0010008');
    await waitUntil(world.daemon!.events, () => record.journal.some((j) => j.value.includes('Signature request declined') && j.value.includes('annex.pdf') && j.value.includes('contract.pdf')), { timeoutMs: 10_000, what: 'the note naming them' });
    expect(record.attachments).toHaveLength(0);
    await world.daemon!.jobs.idle();
    expect(notices()).toHaveLength(1); // told once
    const effects = (name: string) => listEvents(world.daemon!.db, request.id).filter((e) => e.kind === 'effect' && e.detail?.effect === name).map((e) => e.detail!.phase);
    expect([effects('withdraw-1'), effects('withdraw-2'), effects('withdraw-3')]).toEqual([['signed'], [], ['intent', 'done']]);
  });

  it('one document expired: the others withdrawn, and the expiry told with them', async () => {
    const world = getSecuredSigningWorld();
    const { request, refs } = await sendThree(world, 'RITM0010009');
    world.simulator.expire(refs[0]!);
    queueCompleteJob(world.daemon!.db, request.id, { reconcile: 'expired' }, new Date());
    world.daemon!.jobs.poke();
    await waitUntil(world.daemon!.events, () => jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'withdraw' && j.state === 'done'), { timeoutMs: 20_000, what: 'the withdraw job done' });
    expect(stateOf(world, request.id)).toBe('expired');
    expect(refs.slice(1).map((ref) => world.simulator.documents.has(ref))).toEqual([false, false]);
    const record = recordOf(world, 'RITM0010009');
    await waitUntil(world.daemon!.events, () => record.journal.some((j) => j.value.includes('Signature request expired') && j.value.includes('Withdrawn from signing at Secured Signing: nda.pdf, annex.pdf.')), { timeoutMs: 10_000, what: 'the note' });
  });
});

/** The request as the simulator knows it (what signrelay stored when it sent it). */
const simulated = (world: World, request: RequestRow) => ({
  providerOrderId: getRequest(world.daemon!.db, request.id)!.providerOrderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!),
});

// Once per provider. Secured Signing completes without mailing here (its mail is sent by the
// test, as it would arrive); Signicat mails its own notices, as the order tells it to.
describe.each(PROVIDER_NAMES)('%s: what the provider says decides', (provider) => {
  const getWorld = useWorld({ provider, completionMails: false });
  /** The provider's mail to the return address, where it does not send one by itself here. */
  const notice = async (world: World, token: string, subject: string) => {
    if (provider === 'secured-signing') await mailReturn(world, token, subject);
  };

  it.each([
    ['declined', (w: World, r: RequestRow) => w.signing.decline(simulated(w, r), 'The salary is wrong'), /declined/, 'HRC0001234'],
    ['expired', (w: World, r: RequestRow) => w.signing.expire(simulated(w, r)), /not signed by its due date/, 'RITM0010006'],
  ] as const)('%s: one mail to the requester and a note on the record, nothing attached', async (state, act, noticeText, record) => {
    const world = getWorld();
    const { request } = await sendRequest(world, record, record.startsWith('HRC') ? { to: 'sign+hr@corp.example', text: 'Please sign' } : {});
    const before = world.smtp.messages.length;
    await act(world, request);
    await notice(world, request.token, `contract has been ${state}`);
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === state, { timeoutMs: 20_000, what: `the request ${state}` });
    const requesterNotice = await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example') && world.smtp.messages.indexOf(m) >= before, 10_000);
    expect((await simpleParser(requesterNotice.raw)).text).toMatch(noticeText);
    await waitUntil(world.daemon!.events, () => recordOf(world, record).journal.some((j) => j.value.includes(`Signature request ${state}`)), { timeoutMs: 10_000, what: 'the note on the record' });
    expect(recordOf(world, record).attachments).toHaveLength(0);
    if (state === 'declined') expect((await simpleParser(requesterNotice.raw)).text).toMatch(/The salary is wrong/);
  });

  it('a route with notify_requester mails the requester once the signed document is on the record', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'HRC0001235', { to: 'sign+hr@corp.example', text: 'Please sign' });
    await world.signing.signAll(simulated(world, request));
    const before = world.smtp.messages.length;
    await notice(world, request.token, 'contract has been signed');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const delivered = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example'), 10_000);
    const parsed = await simpleParser(delivered.raw);
    expect(parsed.subject).toMatch(/^Signed: /);
    expect(parsed.text).toMatch(/signed and attached to HRC0001235/);
  });

  it('the email delivery mode mails the signed PDF to the instance, whose inbound action attaches it to the record', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010005', { to: 'sign+mail@corp.example' });
    const before = world.smtp.messages.length;
    await world.signing.signAll(simulated(world, request));
    await notice(world, request.token, 'contract has been signed');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered by mail' });
    await waitFor(() => recordOf(world, 'RITM0010005').attachments.length === 1, { timeoutMs: 15_000, what: 'the inbound action to attach it' });
    expect(recordOf(world, 'RITM0010005').attachments[0]).toMatchObject({ fileName: 'contract-signed.pdf', hash: sha256(await world.signing.signedCopy(simulated(world, request), 0)), contentType: 'application/pdf' });
    // Its part says it is a PDF: read as the mail carries it (a parser guesses application/octet-stream by the name).
    const mailed = world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => r.address === INSTANCE_ADDRESS));
    expect(mailed.map((m) => /^Content-Type: ([^;\r\n]+); name="?contract-signed\.pdf"?\r?$/m.exec(m.raw.toString('latin1'))?.[1])).toEqual(['application/pdf']);
    const processed = await world.servicenow.inbound!.waitFor((p) => p.record?.number === 'RITM0010005', 10_000);
    expect(processed.classification).toBe('reply');
  });

  // The instance discards a mail's attachments past its limit without a word (SERVICENOW.md), and
  // a signed copy can outgrow the PDF that was sent: mailed anyway, the request was told delivered
  // and the record never had it (tests review M1).
  it('the email delivery mode does not mail a signed PDF over servicenow.max_email_attachment_bytes: the request fails with an alert, nothing reaches the instance', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010010', { to: 'sign+mail@corp.example' });
    const limit = world.config.servicenow.max_email_attachment_bytes;
    // Less than any signed copy: set before the signing, as Signicat mails its notice at once.
    await restartWith(world, { max_email_attachment_bytes: 1_024 });
    try {
      const before = world.smtp.messages.length;
      await world.signing.signAll(simulated(world, request));
      await notice(world, request.token, 'contract has been signed');
      await waitUntil(world.daemon!.events, () => ['failed', 'delivered'].includes(stateOf(world, request.id)!), { timeoutMs: 20_000, what: 'the request failed (or delivered)' });
      expect(stateOf(world, request.id)).toBe('failed');
      expect(getRequest(world.daemon!.db, request.id)!.reason).toMatch(new RegExp(`^the signed documents of request ${request.id} are \\d+ bytes; the instance discards mail attachments over 1024 bytes \\(servicenow\\.max_email_attachment_bytes\\): use delivery: rest for this route$`));
      expect(world.smtp.messages.slice(before).filter((m) => m.envelope.rcptTo.some((r) => r.address === INSTANCE_ADDRESS))).toEqual([]);
      const events = listEvents(world.daemon!.db, request.id);
      expect(events.filter((e) => e.detail?.effect === 'inbound-email')).toEqual([]);
      expect(events.filter((e) => e.detail?.alert !== undefined).map((e) => e.detail!.alert)).toEqual(['undeliverable']);
      expect(recordOf(world, 'RITM0010010').attachments).toEqual([]);
    } finally {
      await restartWith(world, { max_email_attachment_bytes: limit });
    }
  });
});

describe('signicat: notices that are not the end', () => {
  const getWorld = useWorld({ provider: 'signicat' });

  it('the order\'s creation notice is kept for its order id and triggers nothing', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010002');
    const { providerOrderId } = getRequest(world.daemon!.db, request.id)!;
    const notice = await waitUntil(world.daemon!.events, () => world.daemon!.db.prepare("SELECT * FROM messages WHERE mailbox = 'returns' AND request_id = ?").get(request.id) as { outcome: string; reason: string } | undefined,
      { timeoutMs: 15_000, what: 'the creation notice filed' });
    expect(notice).toMatchObject({ outcome: 'notice', reason: `a progress notice of request ${request.id}, matched by recipient-token` });
    expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'complete')).toEqual([]);
    const kept = listEvents(world.daemon!.db, request.id).find((e) => e.detail?.received === 'notice');
    expect(kept?.detail?.references).toContain(providerOrderId);
  });

  it('fails the request with an alert when the next trigger finds it deleted, instead of waiting for ever', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010003');
    const { providerOrderId } = getRequest(world.daemon!.db, request.id)!;
    // Deleted by hand at Signicat, through its API.
    const signicat = (world.signing as { signicat?: SignicatSimulator }).signicat!;
    const deleted = await fetch(`${signicat.url}/orders/${providerOrderId}`, { method: 'DELETE', headers: { Authorization: `Bearer ${signicat.issueToken('simulated-signicat-client')}` } });
    expect(deleted.status).toBe(204);
    // Any trigger (a notice, reconciliation) makes the complete job ask Signicat.
    await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
      from: 'Signicat <noreply@signicat.com>', to: `returns+${request.token}@corp.example`, subject: `Signing order ${providerOrderId}`, text: 'notice',
    }));
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'failed', { timeoutMs: 20_000, what: 'the request failed' });
    expect(getRequest(world.daemon!.db, request.id)!.reason).toMatch(/withdrawn \(DELETED\) although signrelay did not cancel it/);
    expect(recordOf(world, 'RITM0010003').attachments).toHaveLength(0);
  });
});
