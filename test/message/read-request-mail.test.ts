// Forwarded mails: PDFs inside attached messages count as the mail's own, and their text is
// read as an inline forward's: quoted text, which counts where the forwarder wrote no such line.
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { expandForwardedMessages, readRequestMail } from '../../src/message/read-request-mail.ts';
import { parseRequestMail } from '../../src/intake/parse-request.ts';
import { NOW, testPolicy } from '../intake/intake-helpers.ts';
import { buildRaw, fixtureBytes, samplePdf } from '../intake/intake-helpers.ts';

describe('readRequestMail', () => {
  it('opens a message/rfc822 attachment and takes its attachments', async () => {
    const packed = await simpleParser(fixtureBytes('thunderbird-forward-attachment.eml'));
    expect(packed.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
    const mail = await readRequestMail(fixtureBytes('thunderbird-forward-attachment.eml'));
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([['Lease.pdf', 'application/pdf']]);
    expect(mail.subject).toBe('Fwd: Lease agreement RITM0010002');
  });

  it('opens forwards of forwards, down to the depth limit', async () => {
    const inner = await buildRaw({ subject: 'inner', attachments: [{ filename: 'deep.pdf', content: await samplePdf() }] });
    const middle = await buildRaw({ subject: 'middle', attachments: [{ filename: 'inner.eml', content: inner, contentType: 'message/rfc822' }] });
    // nodemailer marks message/rfc822 parts inline, which mailparser would open by itself.
    const outer = await buildRaw({ subject: 'Fwd: middle', attachments: [
      { filename: 'middle.eml', content: middle, contentType: 'message/rfc822' },
      { filename: 'note.txt', content: 'see below' },
      { filename: 'after.pdf', content: await samplePdf(2) },
    ] });
    const opened = await readRequestMail(outer);
    expect(opened.attachments.map((a) => a.filename)).toEqual(['deep.pdf', 'note.txt', 'after.pdf']);

    const shallow = await expandForwardedMessages(await simpleParser(outer, { ignoreEmbedded: true } as object), 1);
    expect(shallow.attachments.map((a) => [a.filename, a.contentType])).toEqual([['inner.eml', 'message/rfc822'], ['note.txt', 'text/plain'], ['after.pdf', 'application/pdf']]);
  });

  it('keeps the parts after a twice-nested inline forward (mailparser alone drops them)', async () => {
    const inner = await buildRaw({ subject: 'inner', attachments: [{ filename: 'deep.pdf', content: await samplePdf() }] });
    const middle = await buildRaw({ subject: 'middle', attachments: [{ filename: 'inner.eml', content: inner, contentType: 'message/rfc822' }] });
    const outer = await buildRaw({ attachments: [{ filename: 'middle.eml', content: middle, contentType: 'message/rfc822' }, { filename: 'z.pdf', content: await samplePdf(1) }] });
    expect((await readRequestMail(outer)).attachments.map((a) => a.filename)).toEqual(['deep.pdf', 'z.pdf']);
  });

  it('leaves the rest of the mail as it was', async () => {
    const mail = await readRequestMail(fixtureBytes('outlook-alternative.eml'));
    expect(mail.messageId).toBe('<AM0PR10MB2345E1D2C3B4A5F6A7B8C9D0@AM0PR10MB2345.EURPRD10.PROD.OUTLOOK.COM>');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.text).toContain('Signer 1: Ann Lee');
  });
});

describe('a request forwarded as an attachment', () => {
  /** A mail forwarding `inner` (a message of the given text and a PDF) as an attachment, with `own` as its own text. */
  async function forwardOf(innerText: string, own: string, subject = 'Fw: Offer letter HRC0001234') {
    const inner = await buildRaw({ from: 'Pat Kim <pat.kim@corp.example>', subject: 'Offer letter', text: innerText, attachments: [{ filename: 'offer.pdf', content: await samplePdf() }] });
    const outer = await buildRaw({ from: 'Helen Officer <helen.officer@corp.example>', to: 'sign+hr@corp.example', subject, text: own,
      attachments: [{ filename: 'Offer letter.eml', content: inner, contentType: 'message/rfc822', contentDisposition: 'attachment' }] });
    return parseRequestMail(await readRequestMail(outer), testPolicy(), NOW);
  }
  const signersOf = (decision: Awaited<ReturnType<typeof forwardOf>>) => (decision.action === 'request' ? decision.draft.signers.map((s) => s.email) : decision);

  it('is read with its Signer lines, as a forward inline is: not the route\'s default signers', async () => {
    const decision = await forwardOf('Please get this signed.\nSigner 1: Bob Stone <bob.stone@corp.example>', 'Forwarding Pat\'s request.');
    expect(signersOf(decision)).toEqual(['bob.stone@corp.example']);
    expect(decision).toMatchObject({ draft: { signersFrom: 'mail' } });
  });

  it('counts only where the forwarder wrote no line of that kind: their own Signer lines, and their subject\'s record, win', async () => {
    const decision = await forwardOf('Signer 1: Bob Stone <bob.stone@corp.example>\nRecord: HRC0009999', 'Signer 1: Ann Lee <ann.lee@corp.example>', 'Fw: Offer letter HRC0001234');
    expect(signersOf(decision)).toEqual(['ann.lee@corp.example']);
    expect(decision).toMatchObject({ draft: { record: { number: 'HRC0001234' } } });
  });

  it('reads the first forwarded message, not an older one attached to it', async () => {
    const older = await buildRaw({ subject: 'older', text: 'Signer 1: Carl Old <carl.old@corp.example>' });
    const inner = await buildRaw({ subject: 'Offer letter', text: 'Nothing to sign here.', attachments: [{ filename: 'older.eml', content: older, contentType: 'message/rfc822', contentDisposition: 'attachment' }, { filename: 'offer.pdf', content: await samplePdf() }] });
    const outer = await buildRaw({ from: 'helen.officer@corp.example', to: 'sign@corp.example', subject: 'Fw: RITM0010001', text: 'see attached',
      attachments: [{ filename: 'inner.eml', content: inner, contentType: 'message/rfc822', contentDisposition: 'attachment' }] });
    const mail = await readRequestMail(outer);
    expect(mail.forwardedText).toContain('Nothing to sign here.');
    expect(mail.forwardedText).not.toContain('Carl Old');
  });
});
