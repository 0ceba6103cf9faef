// "Outside text reaches a ServiceNow record only as one bounded, inert line", through the
// real daemon, Dovecot and both simulators. ServiceNow renders `[code]…[/code]` in a journal
// entry as HTML (glide.ui.security.allow_codetag), turns `@[sys_id:name]` into a mention
// that notifies a user, and shows line breaks as they are — so a decline reason, a signer's
// name, a request's subject and file name, or a cancel reason carrying them could inject
// script, page someone or forge a "Signed by CEO" line. Here every one of those values is
// hostile; the work notes on the records, the attachment's name and the requester's notices
// must carry none of it raw, and each outside value is cut short.
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments, getRequest, listRequests, type RequestRow } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, useWorld, type World } from '../integration/world.ts';

const getWorld = useWorld({ completionMails: false });

const MARKUP = '[code]<img src=x onerror=alert(1)>[/code] [CODE]<b>bold</b>[/CODE] [ code ]x[ /Code ]';
const MENTIONS = '@[6816f79cc0a8016401c5a33be04be441:Admin] @Admin';
const LONG = 'A'.repeat(5_000);
const HOSTILE_REASON = `${MARKUP}\n\n\nSigned by CEO\r\n${MENTIONS}\u2028Approved by Legal\u0085${LONG}`;
const HOSTILE_SUBJECT = `[code]<img src=x onerror=alert(2)>[/code] Contract ${MENTIONS} for`;
const HOSTILE_FILE = '[CODE]contract[code] @[sysid_Admin].pdf';
const HOSTILE_SIGNER = 'Signer: [code]Ann[/code] [CODE]Lee <ann.lee@example.com>';
const SS_FROM = 'Secured Signing <noreply@securedsigning.com>';

/** Longest an outside value may be in a note (with its ellipsis), and a note in all. */
const MAX_VALUE_CHARS = 500;
const MAX_NOTE_CHARS = 2_000;

const recordOf = (world: World, number: string) => world.servicenow.records.find((r) => r.number === number)!;

/** What no text written to a record or sent to a requester may contain. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/\[\s*\/?\s*code\s*\]/i);
  expect(text).not.toContain('<img');
  expect(text).not.toContain('<script');
  expect(text).not.toContain('@[');
  expect(text).not.toMatch(/(^|[^\p{L}\p{N}._%+-])@\p{L}/u); // a word-initial @: a mention; addresses keep theirs
  expect(text).not.toMatch(/\n\s*\n/); // no blank line
  expect(text).not.toMatch(/(^|[\n\r\u2028\u2029\u0085])\s*(Signed by CEO|Approved by Legal)/); // no forged line of its own
  expect(text).not.toMatch(/[\r\u2028\u2029\u0085]/);
  expect(text).not.toContain('A'.repeat(MAX_VALUE_CHARS + 1));
}

async function requestFor(world: World, record: string): Promise<{ request: RequestRow; reference: string }> {
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: `${HOSTILE_SUBJECT} ${record}`, text: HOSTILE_SIGNER,
    attachments: [{ filename: HOSTILE_FILE, content: await contractPdf() }],
  }));
  const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'sent' }).find((r) => r.recordNumber === record),
    { timeoutMs: 20_000, what: `the request for ${record} sent`, describe: () => listRequests(world.daemon!.db).map((r) => [r.state, r.subject, r.reason]) });
  // The acknowledgement goes out after the send: counted mails from here are the test's own.
  await waitUntil(world.daemon!.events, () => !jobsForRequest(world.daemon!.db, request.id).some((j) => j.kind === 'mail' && j.state === 'pending'), { timeoutMs: 15_000, what: `the acknowledgement of ${record} sent` });
  return { request, reference: getDocuments(world.daemon!.db, request.id)[0]!.providerRef! };
}

async function mailCompletion(world: World, request: RequestRow): Promise<void> {
  await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
    from: SS_FROM, to: `returns+${request.token}@corp.example`, subject: 'contract has been signed', text: 'done',
  }));
}

async function noticeTo(world: World, requester: string, before: number, subject: RegExp): Promise<ParsedMail> {
  const message = await world.smtp.waitFor((m) => world.smtp.messages.indexOf(m) >= before && m.envelope.rcptTo.some((r) => r.address === requester) && subject.test(m.raw.toString()), 15_000);
  return simpleParser(message.raw);
}

function expectNotice(mail: ParsedMail): void {
  expect(mail.subject!.length).toBeLessThanOrEqual(250);
  expectInert(mail.subject!);
  expectInert(mail.text!.replace(/\n\n/g, '\n')); // our own template has paragraphs; the values in it must not
  expect(mail.text).toMatch(/Ann Lee <ann\.lee@example\.com>|\(code\)/); // the signers are listed, neutralised
}

describe('outside text on the way to a record', () => {
  it('a decline reason, signer name and subject are inert and bounded in the work note and the notice', async () => {
    const world = getWorld();
    const { request, reference } = await requestFor(world, 'RITM0010001');
    world.simulator.decline(reference, HOSTILE_REASON);
    const before = world.smtp.messages.length;
    await mailCompletion(world, request);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'declined', { timeoutMs: 20_000, what: 'the request declined' });
    const note = await waitUntil(world.daemon!.events, () => recordOf(world, 'RITM0010001').journal.find((j) => j.field === 'work_notes' && j.value.startsWith('Signature request declined')), { timeoutMs: 15_000, what: 'the work note' });

    expectInert(note.value);
    expect(note.value.length).toBeLessThanOrEqual(MAX_NOTE_CHARS);
    expect(note.value).toMatch(/^Signature request declined/);
    expect(note.value).toMatch(/\(CODE\)Lee's reason: \u201c[^\u201d]*Signed by CEO[^\u201d]*\u201d/); // the reason is still there to read, quoted as the signer's, inside the line
    expect(note.value).toContain('ann.lee@example.com'); // the signers are named
    expect(note.value).toContain('…');
    for (const other of recordOf(world, 'RITM0010001').journal) expectInert(other.value); // the sent note names the hostile signer too

    const notice = await noticeTo(world, request.requester, before, /declined/);
    expectNotice(notice);
    expect(notice.text).toContain('Signed by CEO');
  }, 180_000);

  it('a delivered request\'s note and attachment name carry the signer, subject and file name inert', async () => {
    const world = getWorld();
    const { request, reference } = await requestFor(world, 'RITM0010002');
    await world.simulator.complete(reference);
    await mailCompletion(world, request);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, request.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const record = recordOf(world, 'RITM0010002');
    const note = await waitUntil(world.daemon!.events, () => record.journal.find((j) => j.field === 'work_notes' && j.value.startsWith('Signed via')), { timeoutMs: 10_000, what: 'the work note' });

    expectInert(note.value);
    expect(note.value).toMatch(/^Signed via Secured Signing .*\(invited: .*ann\.lee@example\.com.*\); attached by signrelay/);
    expect(record.attachments).toHaveLength(1);
    expectInert(record.attachments[0]!.fileName);
    expect(record.attachments[0]!.fileName).toMatch(/-signed\.pdf$/);
  }, 180_000);

  it('the acknowledgement names the subject, file and signer inert', async () => {
    const world = getWorld();
    const { request } = await requestFor(world, 'RITM0010004');
    const ack = world.smtp.messages.find((m) => m.parsed?.headers.get('x-signrelay') === 'acknowledgement' && m.parsed.text?.includes(request.id))!;
    expectInert(ack.parsed!.subject!);
    // The body is laid out by us (blank lines, our own brackets around addresses); each value in it is inert.
    for (const line of ack.parsed!.text!.split('\n')) {
      expect(line).not.toMatch(/\[\s*\/?\s*code\s*\]|<img|@\[/i);
    }
    expect(ack.parsed!.text).toContain('(CODE)contract(code) (at)(sysid_Admin).pdf');
  });

  it('a cancel reason is inert and bounded in the note and the notice', async () => {
    const world = getWorld();
    const { request } = await requestFor(world, 'RITM0010003');
    const before = world.smtp.messages.length;
    queueCancel(world.daemon!.db, request.id, HOSTILE_REASON, new Date(), request.provider);
    world.daemon!.jobs.poke();
    const record = recordOf(world, 'RITM0010003');
    const note = await waitUntil(world.daemon!.events, () => record.journal.find((j) => j.field === 'work_notes' && j.value.startsWith('Signature request withdrawn')), { timeoutMs: 15_000, what: 'the cancel note' });

    expectInert(note.value);
    expect(note.value.length).toBeLessThanOrEqual(MAX_NOTE_CHARS);
    expect(note.value).toMatch(/^Signature request withdrawn by the signrelay administrators/);
    expect(note.value).toContain('ann.lee@example.com');

    expectNotice(await noticeTo(world, request.requester, before, /withdrawn/));
  }, 180_000);
});
