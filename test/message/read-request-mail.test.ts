// Forwarded mails: PDFs inside attached messages count as the mail's own.
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { expandForwardedMessages, readRequestMail } from '../../src/message/read-request-mail.ts';
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
