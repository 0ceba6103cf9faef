// Request mails in the MIME shapes real mail clients and gateways produce (the MIME review's
// findings), through the real intake: Dovecot, the daemon, the SMTP sink.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { expect, it } from 'vitest';
import { listRequests } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { contractPdf, useWorld } from '../integration/world.ts';

const getWorld = useWorld();
let n = 0;

function head(id: string, to: string, subject: string, contentType: string, from = 'Helen Officer <helen.officer@corp.example>'): string {
  return [
    `From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: ${id}`,
    'Date: Tue, 03 Nov 2026 09:00:00 +0000', 'MIME-Version: 1.0', contentType, '', '',
  ].join('\r\n');
}
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/.{76}/g, '$&\r\n');
const pdfPart = async (name = 'contract.pdf') => `Content-Type: application/pdf; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(await contractPdf())}\r\n`;
const part = (type: string, body: string) => `Content-Type: ${type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`;
const multipart = (type: string, boundary: string, parts: string[]) => `Content-Type: multipart/${type}; boundary="${boundary}"\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}`).join('')}--${boundary}--\r\n`;

async function deliver(to: string, subject: string, body: string, from?: string): Promise<string> {
  const id = `<mime-review.${++n}.${Date.now()}@corp.example>`;
  const [typeLine, ...rest] = body.split('\r\n\r\n');
  await getWorld().dovecot.deliver(to, Buffer.from(head(id, to, subject, typeLine!, from) + rest.join('\r\n\r\n'), 'utf8'));
  return id;
}

const requestOf = (id: string) => waitFor(() => listRequests(getWorld().daemon!.db).find((r) => r.messageId === id && r.state !== 'received'), { timeoutMs: 30_000, what: `the request of ${id}` });
async function replyTo(id: string): Promise<string> {
  const m = await waitFor(() => getWorld().smtp.messages.find((x) => x.parsed?.inReplyTo === id), { timeoutMs: 30_000, what: `the reply to ${id}` });
  return (await simpleParser(m.raw)).text ?? '';
}

// An HTML-only body (the Signer lines are in it) plus a text/plain part a gateway appended
// (a disclaimer or "scanned by" footer kept as a part of its own, so as not to break a signature).
const gatewayFooter = (html: string) => part('text/plain; charset=utf-8', 'This e-mail has been scanned by MailGuard. Confidential: if you are not the addressee, delete it.');

it('HTML body + separate text/plain footer part: the HTML Signer lines are read, not the route\'s default signers', async () => {
  const html = '<html><body><p>Please get this signed.</p><p>Signer 1: Bob Stone &lt;bob.stone@corp.example&gt;</p></body></html>';
  const id = await deliver('sign+hr@corp.example', 'Offer letter HRC0001234',
    multipart('mixed', 'b1', [part('text/html; charset=utf-8', html), await pdfPart('offer.pdf'), gatewayFooter(html)]));
  const request = await requestOf(id);
  expect(request.signers.map((s) => s.email)).toEqual(['bob.stone@corp.example']);
  expect(request.signersFrom).toBe('mail');
});

it('HTML body + separate text/plain footer part on the default route: the signer it names signs', async () => {
  const html = '<p>Signer 1: Bob Stone &lt;bob.stone@corp.example&gt;</p>';
  const id = await deliver('sign@corp.example', 'Contract RITM0010002', multipart('mixed', 'b1', [part('text/html; charset=utf-8', html), await pdfPart(), gatewayFooter(html)]));
  expect((await requestOf(id)).signers.map((s) => s.email)).toEqual(['bob.stone@corp.example']);
});

it('Outlook/OWA @mention in a Signer line (text part "@Ann Lee<mailto:…>", HTML anchor): the mentioned person signs', async () => {
  const text = 'Signer 1: @Ann Lee<mailto:ann.lee@corp.example>\r\nSigner 2: Bob Stone <bob.stone@corp.example>';
  const html = '<div>Signer 1: <a href="mailto:ann.lee@corp.example" id="OWAAM7A2B">@Ann Lee</a></div><div>Signer 2: Bob Stone &lt;bob.stone@corp.example&gt;</div>';
  const id = await deliver('sign@corp.example', 'Contract RITM0010003',
    multipart('mixed', 'm1', [multipart('alternative', 'a1', [part('text/plain; charset=utf-8', text), part('text/html; charset=utf-8', html)]), await pdfPart()]));
  expect((await requestOf(id)).signers.map((s) => [s.firstName, s.lastName, s.email])).toEqual([['Ann', 'Lee', 'ann.lee@corp.example'], ['Bob', 'Stone', 'bob.stone@corp.example']]);
});

it('HTML-only mail whose Signer line names the signer by a mailto link (Outlook name link): the link\'s address is read', async () => {
  const html = '<div>Signer 1: <a href="mailto:ann.lee@corp.example">Ann Lee</a></div>';
  const id = await deliver('sign@corp.example', 'Contract RITM0010004', multipart('mixed', 'm1', [part('text/html; charset=utf-8', html), await pdfPart()]));
  expect((await requestOf(id)).signers.map((s) => s.email)).toEqual(['ann.lee@corp.example']);
});

it('a request forwarded as an attachment (message/rfc822): its PDF and its Signer lines are taken, as a forward inline', async () => {
  const inner = `From: Pat Kim <pat.kim@corp.example>\r\nTo: helen.officer@corp.example\r\nSubject: Offer letter HRC0001235\r\nMIME-Version: 1.0\r\n${multipart('mixed', 'in1', [part('text/plain; charset=utf-8', 'Signer 1: Bob Stone <bob.stone@corp.example>'), await pdfPart('offer.pdf')])}`;
  const id = await deliver('sign+hr@corp.example', 'Fw: Offer letter HRC0001235', multipart('mixed', 'o1', [
    part('text/plain; charset=utf-8', 'Forwarding Pat\'s request.'),
    `Content-Type: message/rfc822; name="Offer letter.eml"\r\nContent-Disposition: attachment; filename="Offer letter.eml"\r\n\r\n${inner}\r\n`,
  ]));
  const request = await requestOf(id);
  expect(request.signers.map((s) => s.email)).toEqual(['bob.stone@corp.example']);
});

// S/MIME, made with openssl as Outlook/Apple Mail make it.
const smime = (() => {
  let dir: string | undefined;
  return () => {
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), 'smime-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=helen.officer@corp.example'], { stdio: 'ignore' });
    }
    return dir;
  };
})();
async function smimeEntity(kind: 'sign' | 'encrypt'): Promise<string> {
  const dir = smime();
  const inner = multipart('mixed', 'i1', [part('text/plain; charset=utf-8', 'Signer 1: Bob Stone <bob.stone@corp.example>'), await pdfPart()]);
  writeFileSync(join(dir, 'inner.eml'), inner.replace(/^Content-Type: ([^\r\n]*)\r\n\r\n/, 'Content-Type: $1\r\n\r\n'));
  const args = kind === 'sign'
    ? ['smime', '-sign', '-nodetach', '-in', join(dir, 'inner.eml'), '-signer', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-outform', 'SMIME']
    : ['smime', '-encrypt', '-aes256', '-in', join(dir, 'inner.eml'), '-outform', 'SMIME', join(dir, 'cert.pem')];
  const out = execFileSync('openssl', args).toString('latin1').replace(/\r?\n/g, '\r\n');
  // openssl writes "MIME-Version: 1.0" first, then the part's own header and body.
  return out.replace(/^MIME-Version: 1\.0\r\n/, '');
}

it('S/MIME opaque-signed (application/pkcs7-mime signed-data) with the PDF inside: answered that it is S/MIME, and a second try the same day is answered too', async () => {
  const from = 'Sam Signed <sam.signed@corp.example>';
  const first = await deliver('sign@corp.example', 'Contract RITM0010005', await smimeEntity('sign'), from);
  const text = await replyTo(first);
  expect(text).toMatch(/your mail is S\/MIME signed or encrypted \(smime\.p7m\)/);
  expect(text).not.toMatch(/attach the document/);
  // The requester tries again (their client signs every mail): answered again, not silenced.
  const second = await deliver('sign@corp.example', 'Contract RITM0010005 (again)', await smimeEntity('sign'), from);
  expect(await replyTo(second)).toMatch(/S\/MIME signed or encrypted/);
});

it('S/MIME-encrypted request: the answer says the mail is encrypted, not that no PDF was attached', async () => {
  const id = await deliver('sign@corp.example', 'Contract RITM0010006', await smimeEntity('encrypt'), 'Eve Encrypted <eve.encrypted@corp.example>');
  const text = await replyTo(id);
  expect(text).toMatch(/send it again without signing or encrypting it/);
  expect(text).not.toMatch(/the mail has no PDF/);
});

it('German Outlook/Word autocorrect turns the documented "Last, First" quotes into „Last, First“: read as quotes, not as part of the names', async () => {
  // The docs: write "van der Berg, Pieter" <…> for a last name of several words; a German
  // Outlook writes the straight quotes as „…“ as they are typed (French: « … »).
  const html = '<div class="WordSection1"><p class="MsoNormal">Signer 1: „van der Berg, Pieter“ &lt;pieter.vanderberg@corp.example&gt;<o:p></o:p></p></div>';
  const text = 'Signer 1: „van der Berg, Pieter“ <pieter.vanderberg@corp.example>';
  const id = await deliver('sign@corp.example', 'Vertrag RITM0010006',
    multipart('mixed', 'm1', [multipart('alternative', 'a1', [part('text/plain; charset=utf-8', text), part('text/html; charset=utf-8', html)]), await pdfPart('Vertrag.pdf')]), 'Greta Lang <greta.lang@corp.example>');
  const request = await requestOf(id);
  expect(request.signers.map((s) => [s.firstName, s.lastName])).toEqual([['Pieter', 'van der Berg']]);
});
