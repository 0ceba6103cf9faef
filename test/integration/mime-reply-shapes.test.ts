// Replies to signrelay's acknowledgement in the MIME shapes real mail clients and gateways
// produce (the MIME review's findings), through the whole daemon.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { SinkMessage } from '../support/smtp-sink.ts';
import { acknowledgementOf, answerTo, REQUESTER, sendFor, stateOf, useConversationWorld } from '../integration/conversation-world.ts';

const getWorld = useConversationWorld('secured-signing');
let n = 0;

/** A reply to the acknowledgement, to its Reply-To and threaded to it, with `entity` (Content-* header lines, a blank line, the body) as its MIME body. */
async function rawReply(ack: SinkMessage, entity: string, subject = `RE: ${ack.parsed!.subject}`): Promise<string> {
  const to = String(ack.parsed!.replyTo!.value[0]!.address);
  const id = `<mime-review-reply.${++n}.${Date.now()}@corp.example>`;
  const head = [`From: Helen Officer <${REQUESTER}>`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: ${id}`, `In-Reply-To: ${ack.parsed!.messageId}`,
    `References: ${ack.parsed!.messageId}`, 'Date: Tue, 03 Nov 2026 11:00:00 +0000', 'MIME-Version: 1.0'].join('\r\n');
  await getWorld().dovecot.deliver(to, Buffer.from(`${head}\r\n${entity}`, 'utf8'));
  return id;
}
const part = (type: string, body: string) => `Content-Type: ${type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`;
const multipart = (type: string, boundary: string, parts: string[]) => `Content-Type: multipart/${type}; boundary="${boundary}"\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}`).join('')}--${boundary}--\r\n`;

it('an "external sender" banner the gateway puts on top of the body: the command below it is carried out (and the answer\'s subject does not stack a Finnish "VS:")', async () => {
  const world = getWorld();
  const request = await sendFor(world, 'RITM0010001');
  const ack = await acknowledgementOf(world, request);
  const banner = 'CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you recognize the sender.';
  const id = await rawReply(ack, part('text/plain; charset=utf-8', `${banner}\r\n\r\nstatus\r\n\r\nOn Tue, 3 Nov 2026 at 10:00, signrelay <sign@corp.example> wrote:\r\n> Hello,\r\n`), `VS: ${ack.parsed!.subject}`);
  const answer = await answerTo(world, id);
  expect(answer.parsed!.text).not.toContain('is not a command');
  expect(answer.parsed!.text).toMatch(/has not signed yet/);
  expect(answer.parsed!.subject).toBe(`Re: ${ack.parsed!.subject!.replace(/^Re: /, '')}`);
});

it('an HTML reply plus a text/plain footer part a gateway appended: the command in the HTML is carried out', async () => {
  const world = getWorld();
  const request = await sendFor(world, 'RITM0010002');
  const ack = await acknowledgementOf(world, request);
  const id = await rawReply(ack, multipart('mixed', 'f1', [
    part('text/html; charset=utf-8', '<html><body><p>cancel Bob left the company</p><hr><p><b>From:</b> signrelay &lt;sign@corp.example&gt;</p></body></html>'),
    part('text/plain; charset=utf-8', 'This e-mail has been scanned by MailGuard. Confidential: if you are not the addressee, delete it.'),
  ]));
  await answerTo(world, id);
  expect(stateOf(world, request.id)).toBe('cancelled');
});

it('an S/MIME opaque-signed reply (application/pkcs7-mime signed-data, "cancel" inside): answered that it is S/MIME, nothing changed', async () => {
  const world = getWorld();
  const request = await sendFor(world, 'RITM0010003');
  const ack = await acknowledgementOf(world, request);
  const dir = mkdtempSync(join(tmpdir(), 'smime-reply-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=${REQUESTER}`], { stdio: 'ignore' });
  writeFileSync(join(dir, 'inner.eml'), part('text/plain; charset=utf-8', 'cancel no longer needed'));
  const signed = execFileSync('openssl', ['smime', '-sign', '-nodetach', '-in', join(dir, 'inner.eml'), '-signer', join(dir, 'cert.pem'), '-inkey', join(dir, 'key.pem'), '-outform', 'SMIME'])
    .toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^MIME-Version: 1\.0\r\n/, '');
  const id = await rawReply(ack, signed);
  const answer = await answerTo(world, id);
  expect(answer.parsed!.text).toContain('signrelay cannot read your reply: your reply is S/MIME signed or encrypted (smime.p7m)');
  expect(answer.parsed!.text).not.toContain('found no command');
  expect(stateOf(world, request.id)).toBe('sent');
});
