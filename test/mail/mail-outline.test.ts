// The outline of a large mail (mail-outline.ts), built from a structure as IMAP serves it:
// the reader must see the same body as in the whole mail. A multipart/alternative's text and
// HTML leaves are one body written twice: flattened into a multipart/mixed, they read as two
// bodies, and an HTML leaf with no text alternative is read beside the text (requestBodyText).
import type { MessageStructureObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { buildOutline, outlineParts } from '../../src/mail/mail-outline.ts';
import { requestBodyText } from '../../src/message/html-to-text.ts';
import { readRequestMail } from '../../src/message/read-request-mail.ts';

const HEADER = Buffer.from('From: a@corp.example\r\nTo: sign@corp.example\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n');

/** mixed { alternative { text, html }, pdf }: Outlook's and Gmail's shape of a request with a file. */
const STRUCTURE: MessageStructureObject = {
  type: 'multipart/mixed',
  childNodes: [
    { type: 'multipart/alternative', part: '1', childNodes: [{ type: 'text/plain', part: '1.1' }, { type: 'text/html', part: '1.2' }] },
    { type: 'application/pdf', part: '2', disposition: 'attachment' },
  ],
} as MessageStructureObject;

const PIECES = new Map<string, Buffer>([
  ['1.1.MIME', Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\n')],
  ['1.1', Buffer.from('Signer 1: Ann Lee <ann@corp.example>')],
  ['1.2.MIME', Buffer.from('Content-Type: text/html; charset=utf-8\r\n\r\n')],
  ['1.2', Buffer.from('<p>Signer 1: Ann Lee &lt;ann@corp.example&gt;</p>')],
  ['2.MIME', Buffer.from('Content-Type: application/pdf; name="contract.pdf"\r\nContent-Disposition: attachment; filename="contract.pdf"\r\n\r\n')],
]);

describe('buildOutline', () => {
  it('keeps a multipart/alternative one: its text and HTML leaves are read as one body, once', async () => {
    expect(outlineParts(STRUCTURE).bodies).toEqual(['1.1', '1.2']);
    const mail = await readRequestMail(buildOutline(HEADER, STRUCTURE, PIECES, 'signrelay-outline-test'));
    expect(requestBodyText(mail)).toBe('Signer 1: Ann Lee <ann@corp.example>');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['contract.pdf']);
  });
});
