// "The return-address token cannot be used to put a document on another record", through
// the real daemon, Dovecot and both simulators. Requests A (RITM0010001) and B (RITM0010002)
// are sent and both are Complete at Secured Signing, so a mail wrongly matched to either
// WOULD be delivered. A completion mail for A's token that names B only in words (subject,
// body, a `Record:` line with B's sys_id, the attachment's name and text) is delivered to
// A's record as stored in the database; a mail whose clues name both A and B — B's
// document reference, B's token in the attachment name, both tokens in the recipients, or —
// when the recipient address carries no token, the one case in which the PDF is opened for
// one — A's reference beside B's token in the PDF metadata — goes to Unmatched with its
// reason, an audit event on both requests and an operator alert, and nothing reaches either
// record. (With A's token in the address the PDF is not opened: the address decides, the
// signed copy comes from the API, and a mailed copy is only ever used once it verified as
// A's own document.) A large mail, read without its attachments' bytes, is caught the same way.
import { describe, expect, it } from 'vitest';
import { RETURNS_MAILBOX } from '../../src/completion/process-completion-mail.ts';
import { stampedFileName } from '../../src/pdf/token-places.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { getDocuments, getRequest, type RequestRow } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, sendRequest, useWorld, type MailSpec, type World } from '../integration/world.ts';

const getWorld = useWorld({ completionMails: false });
const SS_FROM = 'Secured Signing <noreply@securedsigning.com>';

interface Sent { request: RequestRow; reference: string }
let a: Sent;
let b: Sent;
/** A PDF-looking file of 400 KB: its mail is over the size above which completion mail is read without its attachments. */
const largePdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(400_000, 'x'), Buffer.from('\n%%EOF\n')]);
const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;

async function mailReturn(world: World, messageId: string, spec: MailSpec, envelope = `returns+${a.request.token}@corp.example`): Promise<ReturnType<typeof findMessageById>> {
  await world.dovecot.deliver(envelope, await buildMail({ from: SS_FROM, messageId, ...spec }));
  return waitUntil(world.daemon!.events, () => {
    const row = findMessageById(world.daemon!.db, RETURNS_MAILBOX, messageId);
    return row?.movedAt ? row : undefined;
  }, { timeoutMs: 15_000, what: `${messageId} filed` });
}

describe('a completion mail for request A', () => {
  it('sends A and B and lets both be signed', async () => {
    const world = getWorld();
    a = await sendRequest(world, 'RITM0010001');
    b = await sendRequest(world, 'RITM0010002');
    await world.simulator.complete(a.reference);
    await world.simulator.complete(b.reference);
    // Each record hears it was sent (its own update): wait for that, so the mails below are all that touch them.
    for (const record of ['RITM0010001', 'RITM0010002']) {
      await waitUntil(world.daemon!.events, () => recordOf(world, record).journal.some((j) => j.value.startsWith('Sent for signature')), { timeoutMs: 10_000, what: `${record}'s sent note` });
    }
  }, 180_000);

  it.each([
    ['B\'s document reference in the body', () => ({ subject: 'Your document has been signed', text: `Document reference: ${b.reference}` })],
    ['A\'s reference and B\'s token in the PDF metadata, to the bare return address', async () => {
      const world = getWorld();
      const stampedB = world.daemon!.blobs.get(getDocuments(world.daemon!.db, b.request.id)[0]!.stampedSha256!);
      return { to: 'returns@corp.example', envelope: 'returns@corp.example', subject: 'contract has been signed', text: `Document reference: ${a.reference}`, attachments: [{ filename: 'contract.pdf', content: stampedB }] };
    }],
    ['B\'s token in the attachment name', async () => ({
      subject: 'contract has been signed', text: 'signed', attachments: [{ filename: stampedFileName('contract.pdf', b.request.token), content: await contractPdf() }],
    })],
    // A large mail is read without its attachments' bytes (fetchOutline): its text and file names still count.
    ['B\'s document reference in the body of a mail with a 400 KB PDF', () => ({
      subject: 'Your document has been signed', text: `Document reference: ${b.reference}`, attachments: [{ filename: 'contract.pdf', content: largePdf() }],
    })],
    ['B\'s token in the name of a 400 KB attached PDF', () => ({
      subject: 'contract has been signed', text: 'signed', attachments: [{ filename: stampedFileName('contract.pdf', b.request.token), content: largePdf() }],
    })],
    ['B\'s return address beside A\'s in the recipients', () => ({
      to: `returns+${a.request.token}@corp.example, returns+${b.request.token}@corp.example`, subject: 'contract has been signed', text: 'signed',
    })],
  ] as Array<[string, () => (MailSpec & { envelope?: string }) | Promise<MailSpec & { envelope?: string }>]>)('carrying %s is Unmatched, and nothing is delivered', async (name, spec) => {
    const world = getWorld();
    const messageId = `<conflict-${name.replace(/\W+/g, '-')}@securedsigning.com>`;
    const { envelope, ...mail } = await spec();
    const row = await mailReturn(world, messageId, { to: `returns+${a.request.token}@corp.example`, ...mail }, envelope);

    expect(row).toMatchObject({ outcome: 'unmatched', folder: 'Unmatched', requestId: null });
    // A large mail was read without its PDF's bytes, and its clues still counted.
    const reads = world.logs.flatMap((line) => line.split('\n')).filter((line) => line.includes('"completion mail read"') && line.includes(messageId));
    expect(reads.map((line) => (JSON.parse(line) as { read: string }).read)).toEqual([name.includes('400 KB') ? 'outline' : 'whole']);
    expect(row!.reason).toMatch(new RegExp(`^it names more than one request \\(request ${a.request.id} by .*, request ${b.request.id} by .*\\): nothing was delivered`));
    for (const sent of [a, b]) {
      expect(getRequest(world.daemon!.db, sent.request.id)!.state).toBe('sent');
      expect(jobsForRequest(world.daemon!.db, sent.request.id).filter((j) => j.kind === 'complete')).toEqual([]);
      expect(listEvents(world.daemon!.db, sent.request.id).some((e) => e.detail?.conflict === true && e.detail.reason === row!.reason)).toBe(true);
    }
    expect((await world.dovecot.list('returns', 'Unmatched')).some((m) => m.messageId === messageId)).toBe(true);
    // The alert for this mail (its reason and Message-ID), wherever it is among the events (its mail's `sent` event may come after it).
    const alerts = (world.daemon!.db.prepare('SELECT detail FROM events WHERE request_id IS NULL ORDER BY id').all() as Array<{ detail: string }>)
      .map((e) => JSON.parse(e.detail) as Record<string, unknown>)
      .filter((d) => d.alert === 'unmatched' && typeof d.text === 'string' && d.text.includes(row!.reason) && d.text.includes(messageId));
    expect(alerts).toEqual([expect.objectContaining({ subject: 'a completion mail names more than one request' })]);
    expect(recordOf(world, 'RITM0010001').attachments).toEqual([]);
    expect(recordOf(world, 'RITM0010002').attachments).toEqual([]);
  }, 180_000);

  it('that names B only in words is delivered to A\'s record, taken from the database', async () => {
    const world = getWorld();
    const bSysId = recordOf(world, 'RITM0010002').sysId;
    const bJournal = [...recordOf(world, 'RITM0010002').journal];
    const callsBefore = world.servicenow.calls.length;
    const row = await mailReturn(world, '<a-mentions-b@securedsigning.com>', {
      to: `returns+${a.request.token}@corp.example`,
      subject: 'RITM0010002 has been signed',
      text: `Please attach this to RITM0010002.\nRecord: sc_req_item/${bSysId}\nRef:MSG0000008_aLJc130zDhCVuh3spXmt`,
      attachments: [{ filename: 'RITM0010002-signed.pdf', content: await contractPdf('Signed copy for RITM0010002') }],
    });
    expect(row).toMatchObject({ outcome: 'completion', requestId: a.request.id });
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, a.request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'A delivered' });

    expect(recordOf(world, 'RITM0010001').attachments).toHaveLength(1);
    expect(recordOf(world, 'RITM0010002').attachments).toEqual([]);
    expect(recordOf(world, 'RITM0010002').journal).toEqual(bJournal);
    // ServiceNow was never even asked about B's record.
    const calls = JSON.stringify(world.servicenow.calls.slice(callsBefore).map((c) => [c.path, c.query]));
    expect(calls).not.toContain('RITM0010002');
    expect(calls).not.toContain(bSysId);
    expect(getRequest(world.daemon!.db, b.request.id)!.state).toBe('sent');
  }, 180_000);

  it('leaves B deliverable by its own mail (the mails above really could have reached it)', async () => {
    const world = getWorld();
    await world.dovecot.deliver(`returns+${b.request.token}@corp.example`, await buildMail({
      from: SS_FROM, to: `returns+${b.request.token}@corp.example`, subject: 'contract has been signed', text: 'signed', messageId: '<b-own@securedsigning.com>',
    }));
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, b.request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'B delivered' });
    expect(recordOf(world, 'RITM0010002').attachments).toHaveLength(1);
    expect(recordOf(world, 'RITM0010001').attachments).toHaveLength(1);
  }, 180_000);
});
