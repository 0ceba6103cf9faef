// Smart tags signrelay did not write never reach Secured Signing, through the real daemon,
// Dovecot and the simulator — switched here to read tags as leniently as any reader might
// (case, spaces, fullwidth forms), so a tag that slipped through would take effect there: a second
// completion recipient would be mailed the signed document, a third signer invited.
//
// 1. Outside text drawn on the signature page (the subject, the file name) cannot form a
//    tag, however it is written.
// 2. A PDF's own tags: a completion-recipient tag (however hidden) is refused, never sent;
//    own [!Sign] tags beside Signer lines or a route's default signers are refused with a
//    reply naming both sets of signers; own [!Sign] tags alone are sent, and the request,
//    the record's note and the requester's notice name those signers.
import { PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUESTS_MAILBOX } from '../../src/intake/process-request-mail.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { getDocuments, getRequest, type RequestRow } from '../../src/store/requests.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, useWorld, type MailSpec, type World } from '../integration/world.ts';

const getWorld = useWorld();
beforeAll(() => getWorld().simulator.readTags('lenient'));
const ATTACKER = 'attacker.example';

/** A contract with text no reader sees: white, 2 pt, at the bottom of page 1. */
async function pdfWithHiddenText(hidden: string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.load(await contractPdf('Employment contract'));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  hidden.forEach((text, i) => doc.getPage(0).drawText(text, { x: 20, y: 20 + i * 3, size: 2, font, color: rgb(1, 1, 1) }));
  return doc.save();
}

/** Mails a request and waits until it is filed; returns the message row and its request. */
async function request(world: World, messageId: string, spec: MailSpec): Promise<{ folder: string; request: RequestRow | undefined }> {
  await world.dovecot.deliver(spec.to ?? 'sign@corp.example', await buildMail({ messageId, ...spec }));
  const row = await waitUntil(world.daemon!.events, () => {
    const found = findMessageById(world.daemon!.db, REQUESTS_MAILBOX, messageId);
    return found?.movedAt ? found : undefined;
  }, { timeoutMs: 20_000, what: `${messageId} filed` });
  return { folder: row.folder, request: row.requestId ? getRequest(world.daemon!.db, row.requestId) : undefined };
}

async function sentDocument(world: World, requestId: string) {
  const sent = await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, requestId)?.state === 'sent', { timeoutMs: 20_000, what: `${requestId} sent` });
  expect(sent).toBe(true);
  return world.simulator.documents.get(getDocuments(world.daemon!.db, requestId)[0]!.providerRef!)!;
}

const mailsTo = (world: World, domain: string) => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address.toLowerCase().endsWith(`@${domain}`)));
const replyTo = (world: World, messageId: string) => world.smtp.waitFor((m) => m.parsed?.inReplyTo === messageId, 15_000);

describe('outside text on the signature page', () => {
  it.each([
    ['a recipient tag in the subject', { subject: 'Offer for RITM0010001 [!Recipient.C,Evil,Person,evil@attacker.example]' }],
    ['a recipient tag in lower case and spaced out', { subject: 'Offer for RITM0010001 [ ! recipient . c , Evil , Person , evil@attacker.example ]' }],
    ['a fullwidth recipient tag', { subject: 'Offer for RITM0010001 ［！Recipient.C,Evil,Person,evil@attacker.example］' }],
    ['a signer tag as the file name', { fileName: '[!Sign.3,Mallory,Evil,mallory@attacker.example].pdf' }],
  ] as Array<[string, { subject?: string; fileName?: string }]>)('%s does not become a tag', async (name, attack) => {
    const world = getWorld();
    const messageId = `<page-${name.replace(/\W+/g, '-')}@corp.example>`;
    const { folder, request: row } = await request(world, messageId, {
      subject: attack.subject ?? 'Offer for RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: attack.fileName ?? 'offer.pdf', content: await contractPdf() }],
    });
    expect(folder).toBe('Processed');
    const doc = await sentDocument(world, row!.id);
    expect(doc.tags.sign.map((t) => t.email)).toEqual(['ann.lee@example.com']);
    expect(doc.tags.recipients.map((t) => t.email)).toEqual([`returns+${row!.token}@corp.example`]);
    expect(doc.signers.map((s) => s.Email)).toEqual(['ann.lee@example.com']);

    // Signed: the completed document goes to signrelay's return address only.
    await world.simulator.complete(doc.reference);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, row!.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'delivered' });
    expect(mailsTo(world, ATTACKER)).toEqual([]);
  }, 180_000);
});

/** Mails a request that must be refused: filed in Rejected, nothing uploaded; returns the one reply's text. */
async function refused(world: World, messageId: string, spec: MailSpec): Promise<string> {
  const uploads = world.simulator.documents.size;
  expect((await request(world, messageId, spec)).folder).toBe('Rejected');
  const reply = await replyTo(world, messageId);
  expect(world.simulator.documents.size).toBe(uploads);
  return reply.parsed!.text as string;
}

describe('tags the PDF brings along', () => {
  it('a hidden [!Sign] tag beside a Signer line is refused, with a reply naming both; nothing is uploaded', async () => {
    const text = await refused(getWorld(), '<hidden-sign@corp.example>', {
      subject: 'Board resolution RITM0010002', text: 'Signer: Carol Ceo <carol.ceo@corp.example>',
      attachments: [{ filename: 'resolution.pdf', content: await pdfWithHiddenText(['[!Sign.1,Mallory,Evil,mallory@attacker.example]']) }],
    });
    expect(text).toContain('resolution.pdf names its own signers in signature tags (1. Mallory Evil <mallory@attacker.example>)');
    expect(text).toContain('your mail names signers too (1. Carol Ceo <carol.ceo@corp.example>)');
    expect(text).toContain('hidden, as white or tiny text');
  }, 180_000);

  it('a hidden [!Recipient] tag is refused and never sent, whatever else the mail says', async () => {
    const text = await refused(getWorld(), '<hidden-recipient@corp.example>', {
      subject: 'Contract RITM0010003', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await pdfWithHiddenText(['[!Recipient.C,Eve,Evil,eve@attacker.example]']) }],
    });
    expect(text).toContain('contract.pdf contains its own completion-recipient tag ([!Recipient.C,Eve,Evil,eve@attacker.example])');
  }, 180_000);

  it('own [!Sign] tags on a route with default signers are refused, naming the route\'s signers', async () => {
    const text = await refused(getWorld(), '<tags-on-hr@corp.example>', {
      to: 'sign+hr@corp.example', subject: 'Offer HRC0001234', text: 'Please sign.',
      attachments: [{ filename: 'offer.pdf', content: await pdfWithHiddenText(['[!Sign.1,Mallory,Evil,mallory@attacker.example]']) }],
    });
    expect(text).toContain('route "hr" (its default signers) names signers too (1. Harriet Ross <hr.director@corp.example>)');
  }, 180_000);

  it('own [!Sign] tags alone are sent as prepared, and the request and the record\'s note name those signers', async () => {
    const world = getWorld();
    const { folder, request: row } = await request(world, '<prepared@corp.example>', {
      subject: 'Prepared NDA RITM0010004', text: 'Please sign.',
      attachments: [{ filename: 'nda.pdf', content: await pdfWithHiddenText(['[!Sign.1,Dana,Prepared,dana.prepared@example.com]']) }],
    });
    expect(folder).toBe('Processed');
    expect(row).toMatchObject({ signersFrom: 'pdf', signers: [{ firstName: 'Dana', lastName: 'Prepared', email: 'dana.prepared@example.com' }] });
    const doc = await sentDocument(world, row!.id);
    expect(doc.signers.map((s) => s.Email)).toEqual(['dana.prepared@example.com']);
    await world.simulator.complete(doc.reference);
    await waitUntil(world.daemon!.events, () => getRequest(world.daemon!.db, row!.id)?.state === 'delivered', { timeoutMs: 20_000, what: 'delivered' });
    const record = world.servicenow.records.find((r) => r.number === 'RITM0010004')!;
    expect(record.journal.map((j) => j.value).join('\n')).toContain('Dana Prepared');
  }, 180_000);
});
