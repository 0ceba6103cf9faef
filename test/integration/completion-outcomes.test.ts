// What the provider says decides the outcome, not the mail: a forged attachment loses to
// the API's copy; declined and expired documents tell the requester and note the record;
// the email delivery mode reaches the record through the instance's inbound email.
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { getRequest } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf, sendRequest, useWorld, type World } from './world.ts';

// The simulator completes documents without mailing: each test sends the mail it needs.
const getWorld = useWorld({ completionMails: false });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;

async function mailReturn(world: World, token: string, subject: string, attachment?: Uint8Array): Promise<void> {
  await world.dovecot.deliver(`returns+${token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${token}@corp.example`, subject, text: subject,
    attachments: attachment ? [{ filename: 'contract.pdf', content: attachment }] : undefined,
  }));
}

describe('authenticity', () => {
  it('a forged signed PDF in the mail loses to the API copy', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010004');
    await world.simulator.complete(reference);
    const forged = await contractPdf('Forged terms');
    await mailReturn(world, request.token, 'contract has been signed', forged);
    await waitFor(() => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const [attachment] = recordOf(world, 'RITM0010004').attachments;
    expect(attachment!.hash).toBe(sha256(world.simulator.documents.get(reference)!.signedBytes!));
    expect(attachment!.hash).not.toBe(sha256(forged));
  });
});

describe('declined and expired documents', () => {
  it.each([
    ['declined', (w: World, ref: string) => w.simulator.decline(ref, 'The salary is wrong'), /declined/, 'HRC0001234'],
    ['expired', (w: World, ref: string) => w.simulator.expire(ref), /not signed by its due date/, 'RITM0010006'],
  ] as const)('%s: one mail to the requester and a note on the record, nothing attached', async (state, act, noticeText, record) => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, record, record.startsWith('HRC') ? { to: 'sign+hr@corp.example', text: 'Please sign' } : {});
    act(world, reference);
    const before = world.smtp.messages.length;
    await mailReturn(world, request.token, `contract has been ${state}`);
    await waitFor(() => stateOf(world, request.id) === state, { timeoutMs: 20_000, what: `the request ${state}` });
    const notice = await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example') && world.smtp.messages.indexOf(m) >= before, 10_000);
    expect((await simpleParser(notice.raw)).text).toMatch(noticeText);
    await waitFor(() => recordOf(world, record).journal.some((j) => j.value.includes(`Signature request ${state}`)), { timeoutMs: 10_000, what: 'the note on the record' });
    expect(recordOf(world, record).attachments).toHaveLength(0);
    if (state === 'declined') expect((await simpleParser(notice.raw)).text).toMatch(/The salary is wrong/);
  });
});

describe('a route with notify_requester', () => {
  it('mails the requester once the signed document is on the record', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'HRC0001235', { to: 'sign+hr@corp.example', text: 'Please sign' });
    await world.simulator.complete(reference);
    const before = world.smtp.messages.length;
    await mailReturn(world, request.token, 'contract has been signed');
    await waitFor(() => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const notice = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === 'helen.officer@corp.example'), 10_000);
    const parsed = await simpleParser(notice.raw);
    expect(parsed.subject).toMatch(/^Signed: /);
    expect(parsed.text).toMatch(/signed and attached to HRC0001235/);
  });
});

describe('the email delivery mode', () => {
  it('mails the signed PDF to the instance, whose inbound action attaches it to the record', async () => {
    const world = getWorld();
    const { request, reference } = await sendRequest(world, 'RITM0010005', { to: 'sign+mail@corp.example' });
    await world.simulator.complete(reference);
    await mailReturn(world, request.token, 'contract has been signed');
    await waitFor(() => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered by mail' });
    await waitFor(() => recordOf(world, 'RITM0010005').attachments.length === 1, { timeoutMs: 15_000, what: 'the inbound action to attach it' });
    expect(recordOf(world, 'RITM0010005').attachments[0]).toMatchObject({ fileName: 'contract-signed.pdf', hash: sha256(world.simulator.documents.get(reference)!.signedBytes!) });
    const processed = await world.servicenow.inbound!.waitFor((p) => p.record?.number === 'RITM0010005', 10_000);
    expect(processed.classification).toBe('reply');
  });
});
