// Which mails in the request mailbox are replies (conversation review M4): one to the plain
// request address that names an acknowledgement only among its References — a colleague's
// new request written from the forwarded acknowledgement — is a reply only from a sender who
// may act on that request; from anyone else request intake takes it (the allow-list, an answer).
// A reply to a notice (signed, withdrawn, expired, not sent) is a reply to that request (L2).
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { explainReply } from '../../src/conversation/explain-reply.ts';
import { withReplyCommands } from '../../src/conversation/process-reply-mail.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { silentLogger } from '../../src/log.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { enqueueMail } from '../../src/jobs/send-mail.ts';
import { composeRequesterNotice } from '../../src/notices/compose-notices.ts';
import { listReplyCommands } from '../../src/store/conversation.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { getRequest } from '../../src/store/requests.ts';
import { NOW, REQUESTER, sentRequest, watched } from './sent-request.ts';

const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });
const policy = intakePolicyFrom(config);
const traits = providerTraits(config.provider);
const pdf = Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64');

function mail(from: string, threading: string, text: string): Buffer {
  return Buffer.from([
    `From: ${from}`, 'To: sign@corp.example', 'Subject: Fwd: Sent for signature: Contract - new appendix for RITM0010002',
    `Message-ID: <${Math.random().toString(36).slice(2)}@corp.example>`, threading, 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', text, '',
    '--b', 'Content-Type: application/pdf; name="appendix.pdf"', 'Content-Disposition: attachment; filename="appendix.pdf"', 'Content-Transfer-Encoding: base64', '', pdf, '--b--', ''].join('\r\n'));
}

function setUp() {
  const db = openMemoryDatabase();
  const sent = sentRequest(db, config, 'abcdefghijklmnopqrst');
  const handed: number[] = [];
  const handler = withReplyCommands({ db, config, policy, provider: traits, logger: silentLogger(), now: () => NOW },
    async (message) => { handed.push(message.uid); return { moveTo: 'Processed' }; });
  return { db, ...sent, handed, handler };
}

describe('a mail to the request address naming an acknowledgement only in References', () => {
  it('from an allowed colleague who may not act on that request: handed to request intake, Helen\'s request untouched', async () => {
    const t = setUp();
    const raw = mail('Tom Manager <tom.manager@corp.example>', `References: <req-abcdefghijklmnopqrst@corp.example> ${t.ackId}`, 'Signer 1: Ann Lee <ann.lee@example.com>');
    await expect(t.handler(watched(raw, 9))).resolves.toEqual({ moveTo: 'Processed' });
    expect(t.handed).toEqual([9]);
    expect(jobsForRequest(t.db, t.id).map((j) => j.payload.purpose ?? j.kind)).toEqual(['acknowledgement']);
    expect(getRequest(t.db, t.id)!.state).toBe('sent');
    // explain takes it as a request too (undefined: not a reply).
    expect(explainReply(t.db, config, await simpleParser(raw), NOW)).toBeUndefined();
  });

  it('from the requester: still a reply, and her cancel is answered (found by References only, so not carried out without the secret address)', async () => {
    const t = setUp();
    const raw = mail(`Helen Officer <${REQUESTER}>`, `References: ${t.ackId}`, 'cancel wrong version');
    await expect(t.handler(watched(raw, 3))).resolves.toEqual({ moveTo: 'Processed' });
    expect(t.handed).toEqual([]);
    expect(jobsForRequest(t.db, t.id).filter((j) => j.kind === 'mail').map((j) => j.payload.purpose)).toEqual(['acknowledgement', 'answer']);
  });

  it('a colleague\'s mail whose In-Reply-To names the acknowledgement is still a reply: filed, not answered, not a request', async () => {
    const t = setUp();
    const raw = mail('Tom Manager <tom.manager@corp.example>', `In-Reply-To: ${t.ackId}\r\nReferences: ${t.ackId}`, 'cancel');
    await expect(t.handler(watched(raw, 4))).resolves.toEqual({ moveTo: 'Rejected' });
    expect(t.handed).toEqual([]);
  });

  it('a colleague\'s mail to the acknowledgement\'s secret address with References alone is still a reply', async () => {
    const t = setUp();
    const raw = Buffer.from(mail('Tom Manager <tom.manager@corp.example>', `References: ${t.ackId}`, 'cancel').toString().replace('To: sign@corp.example', `To: sign+${t.secret}@corp.example`));
    await expect(t.handler(watched(raw, 5))).resolves.toEqual({ moveTo: 'Rejected' });
    expect(t.handed).toEqual([]);
  });
});

describe('a reply to a notice (conversation review L2)', () => {
  it('"extend" to the expired notice is answered by the request\'s rule, not taken for a new request and told to attach a PDF', async () => {
    const t = setUp();
    t.db.prepare("UPDATE requests SET state = 'expired' WHERE id = ?").run(t.id);
    enqueueMail(t.db, { requestId: t.id, purpose: 'notice', message: composeRequesterNotice(getRequest(t.db, t.id)!, 'expired', '', config.smtp.from, ['contract.pdf']) }, NOW);
    const noticeId = String((jobsForRequest(t.db, t.id).find((j) => j.payload.purpose === 'notice')!.payload.message as { messageId: string }).messageId);
    const raw = Buffer.from([`From: Helen Officer <${REQUESTER}>`, 'To: sign@corp.example', 'Subject: Re: Not signed (expired): Contract', 'Message-ID: <r-notice@corp.example>',
      `In-Reply-To: ${noticeId}`, `References: <req-abcdefghijklmnopqrst@corp.example> ${noticeId}`, 'MIME-Version: 1.0', 'Content-Type: text/plain', '', 'extend 2026-12-24', ''].join('\r\n'));
    await expect(t.handler(watched(raw, 6))).resolves.toEqual({ moveTo: 'Processed' });
    expect(t.handed).toEqual([]);
    expect(listReplyCommands(t.db, t.id)[0]).toMatchObject({ command: 'extend', outcome: 'refused', answerTo: REQUESTER });
    const answer = jobsForRequest(t.db, t.id).find((j) => j.payload.purpose === 'answer')!.payload.message as { text: string; inReplyTo: string };
    expect(answer.text).toContain(`Request ${t.id} cannot be extended: its due date passed.`);
    expect(answer.inReplyTo).toBe('<r-notice@corp.example>');
  });

  it('a colleague\'s mail that only carries a notice in References is no reply (M4\'s rule): request intake takes it', async () => {
    const t = setUp();
    enqueueMail(t.db, { requestId: t.id, purpose: 'notice', message: composeRequesterNotice(getRequest(t.db, t.id)!, 'delivered', '', config.smtp.from, ['contract.pdf']) }, NOW);
    const noticeId = String((jobsForRequest(t.db, t.id).find((j) => j.payload.purpose === 'notice')!.payload.message as { messageId: string }).messageId);
    await t.handler(watched(mail('Tom Manager <tom.manager@corp.example>', `References: ${noticeId}`, 'Signer 1: Ann Lee <ann.lee@example.com>'), 7));
    expect(t.handed).toEqual([7]);
  });
});
