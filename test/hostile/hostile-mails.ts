// Hostile and broken request mails, built at test time: raw MIME where a mail client would
// never produce it (broken boundaries, lying charsets, 200 nested multiparts), nodemailer
// where the structure is ordinary and only the content is hostile. Every mail carries its
// own Message-ID and sender, so a test can find its outcome, its reply and its folder.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export const CRLF = '\r\n';

export interface Part {
  headers: string[];
  body: string | Buffer;
}

export interface Envelope {
  id: string;
  from?: string;
  to?: string;
  subject?: string;
}

/** The address a case's mail comes from (and its reply goes to). */
export function senderOf(id: string): string {
  return `hostile.${id}@corp.example`;
}

const records = new Map<string, string>();
/**
 * Each case's own record number: the cases send one contract, and signrelay refuses the same
 * document for a record that has a request of it at work (process-request-mail.ts outAlready).
 */
export function recordOf(id: string): string {
  let record = records.get(id);
  if (record === undefined) records.set(id, (record = `RITM${String(10_101 + records.size).padStart(7, '0')}`));
  return record;
}

export function messageIdOf(id: string): string {
  return `<hostile-${id}@corp.example>`;
}

function standardHeaders(env: Envelope): string[] {
  return [
    `From: ${env.from ?? `Hostile Case <${senderOf(env.id)}>`}`,
    `To: ${env.to ?? 'sign@corp.example'}`,
    `Subject: ${env.subject ?? `Please sign ${recordOf(env.id)} (${env.id})`}`,
    `Message-ID: ${messageIdOf(env.id)}`,
    'Date: Tue, 03 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
  ];
}

/** A whole mail from header lines and a body, with CRLF line ends. */
export function rawMail(headers: string[], body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${headers.join(CRLF)}${CRLF}${CRLF}`, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

/** Base64 in 76-column lines, as MIME wants it. */
export function base64Lines(bytes: Uint8Array): string {
  return (Buffer.from(bytes).toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

export function textPart(text: string, charset = 'utf-8'): Part {
  return { headers: [`Content-Type: text/plain; charset=${charset}`, 'Content-Transfer-Encoding: 8bit'], body: text };
}

export function pdfPart(bytes: Uint8Array, filenameParam = 'filename="contract.pdf"', type = 'application/pdf'): Part {
  return { headers: [`Content-Type: ${type}`, `Content-Disposition: attachment; ${filenameParam}`, 'Content-Transfer-Encoding: base64'], body: base64Lines(bytes) };
}

/** A multipart body; `close: false` leaves out the closing boundary. */
export function multipart(boundary: string, parts: Part[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}${CRLF}${part.headers.join(CRLF)}${CRLF}${CRLF}`, 'latin1'));
    chunks.push(typeof part.body === 'string' ? Buffer.from(part.body, 'latin1') : part.body);
    chunks.push(Buffer.from(CRLF, 'latin1'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--${CRLF}`, 'latin1'));
  return Buffer.concat(chunks);
}

/** A request mail: a text part with the signer line and one attachment part. */
export function requestMail(env: Envelope, attachment: Part, text = 'Signer: Ann Lee <ann.lee@example.com>'): Buffer {
  return rawMail([...standardHeaders(env), 'Content-Type: multipart/mixed; boundary="b1"'], multipart('b1', [textPart(text), attachment]));
}

/** The parts of a request mail whose boundaries are wrong in the ways broken MIME libraries get them wrong. */
export function brokenBoundaryMail(env: Envelope, kind: 'undeclared' | 'unclosed' | 'truncated' | 'no-boundary-param', pdf: Uint8Array): Buffer {
  const parts = [textPart('Signer: Ann Lee <ann.lee@example.com>'), pdfPart(pdf)];
  switch (kind) {
    // The header names one boundary, the body uses another: nothing of the body is a part.
    case 'undeclared':
      return rawMail([...standardHeaders(env), 'Content-Type: multipart/mixed; boundary="declared"'], multipart('used', parts));
    // No closing delimiter: the last part runs to the end of the mail (RFC 2046 readers accept it).
    case 'unclosed':
      return rawMail([...standardHeaders(env), 'Content-Type: multipart/mixed; boundary="b1"'], multipart('b1', parts, false));
    // Cut off in the middle of the PDF's base64.
    case 'truncated': {
      const whole = multipart('b1', parts);
      return rawMail([...standardHeaders(env), 'Content-Type: multipart/mixed; boundary="b1"'], whole.subarray(0, Math.floor(whole.length * 0.6)));
    }
    // multipart without a boundary parameter at all.
    case 'no-boundary-param':
      return rawMail([...standardHeaders(env), 'Content-Type: multipart/mixed'], multipart('b1', parts));
  }
}

/** `depth` multiparts inside each other, the request text and PDF in the innermost one. */
export function nestedMultipartMail(env: Envelope, depth: number, pdf: Uint8Array): Buffer {
  let body = multipart(`n${depth}`, [textPart('Signer: Ann Lee <ann.lee@example.com>'), pdfPart(pdf)]);
  for (let level = depth - 1; level >= 1; level--) {
    body = multipart(`n${level}`, [{ headers: [`Content-Type: multipart/mixed; boundary="n${level + 1}"`], body }]);
  }
  return rawMail([...standardHeaders(env), 'Content-Type: multipart/mixed; boundary="n1"'], body);
}

/** A mail composed by nodemailer (well-formed MIME) with the case's identity. */
export async function composedMail(env: Envelope, spec: { text?: string; html?: string; to?: string; cc?: string; headers?: Record<string, string>; attachments?: Array<{ filename: string; content: Buffer | Uint8Array; contentType?: string }> }): Promise<Buffer> {
  return new MailComposer({
    from: env.from ?? `Hostile Case <${senderOf(env.id)}>`,
    to: spec.to ?? env.to ?? 'sign@corp.example',
    cc: spec.cc,
    subject: env.subject ?? `Please sign ${recordOf(env.id)} (${env.id})`,
    messageId: messageIdOf(env.id),
    text: spec.text,
    html: spec.html,
    headers: spec.headers,
    attachments: spec.attachments?.map((a) => ({ filename: a.filename, content: Buffer.from(a.content), contentType: a.contentType ?? 'application/pdf' })),
  }).compile().build();
}
