// Who may act on a request by reply (review finding 1). With the example configuration
// (routes.default.allowed_senders ["*@corp.example"], intake.authentication.require []), a
// mail that merely claims a corp.example From and names the request's token — printed in the
// PDF every signer receives — used to cancel someone else's request. Now a reply is matched
// only by the acknowledgement's random reply secret or its / an answer's Message-ID, only the
// requester (or a route's explicit reply_commands_from) may act, and cancel on a route with
// no authentication needs the secret address.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { simpleParser } from 'mailparser';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { decideReply } from '../../src/conversation/decide-reply.ts';
import { findRepliedRequest, withReplyCommands } from '../../src/conversation/process-reply-mail.ts';
import { intakePolicyFrom } from '../../src/intake/intake-policy.ts';
import { silentLogger } from '../../src/log.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { NOW, REQUESTER, sentRequest as sentWithAcknowledgement, watched } from '../conversation/sent-request.ts';

const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });

const sentRequest = (db: Db, token: string) => sentWithAcknowledgement(db, config, token);

async function decide(db: Db, raw: string, cfg: Config = config) {
  const mail = await simpleParser(raw);
  const found = findRepliedRequest(db, mail, cfg.mailboxes.requests.address);
  expect(found).toBeDefined(); // always taken as a reply, never as a new request
  return decideReply(mail as never, found!, intakePolicyFrom(cfg), providerTraits(cfg.provider), NOW);
}

const mailFrom = (from: string, to: string, body: string, extra = '') =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: Re: Contract\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@corp.example>\r\n${extra}\r\n${body}\r\n`;

describe('who may act on a reply', () => {
  it('the reply secret is random, long and not derived from the token', () => {
    const db = openMemoryDatabase();
    const a = sentRequest(db, 'abcdefghijklmnopqrst');
    const b = sentRequest(db, 'bcdefghijklmnopqrstu');
    expect(a.secret).toMatch(/^[a-z2-7]{32}$/);
    expect(a.secret).not.toBe(b.secret);
    expect(a.secret).not.toContain('abcdefghijklmnopqrst');
    expect(a.ackId).not.toContain('abcdefghijklmnopqrst');
  });

  it('a forged colleague From plus the token from the PDF changes nothing and is not answered', async () => {
    const db = openMemoryDatabase();
    const token = 'abcdefghijklmnopqrst';
    sentRequest(db, token);
    const decision = await decide(db, mailFrom('Somebody <nobody.real@corp.example>', `sign+${token}@corp.example`, 'cancel'));
    expect(decision).toMatchObject({ action: 'ignore', answerTo: null });
    expect(decision.reason).toContain('neither a request nor a reply command');
  });

  it('a mail to the token address is no command even when it shows the requester as From', async () => {
    const db = openMemoryDatabase();
    const token = 'abcdefghijklmnopqrst';
    sentRequest(db, token);
    expect(await decide(db, mailFrom(REQUESTER, `sign+${token}@corp.example`, 'cancel'))).toMatchObject({ action: 'ignore', answerTo: null });
  });

  // The refusal is the "who may act" check's own: with it gone, the colleague was still turned
  // away by another (nobody left to answer) whose note names the same setting (tests review L2).
  it.each([
    ['its From', ''],
    ['its From, though its Reply-To is the requester', `Reply-To: ${REQUESTER}\r\n`],
  ])('a colleague the request allow-list admits may not act by the secret address either, unless reply_commands_from opts in (%s)', async (_, replyTo) => {
    const db = openMemoryDatabase();
    const { id, secret } = sentRequest(db, 'abcdefghijklmnopqrst');
    const raw = mailFrom('Colleague <colleague@corp.example>', `sign+${secret}@corp.example`, 'remind', replyTo);
    const refused = await decide(db, raw);
    expect(refused).toMatchObject({ action: 'ignore', answerTo: null, sender: 'colleague@corp.example' });
    expect(refused.reason).toBe(`colleague@corp.example may not act on request ${id}: only its requester (${REQUESTER}) or an address routes.default.reply_commands_from lists may (it lists none); filed without an answer`);
    const optedIn = { ...config, routes: { ...config.routes, default: { ...config.routes.default!, reply_commands_from: ['colleague@corp.example'] } } };
    expect(await decide(db, raw, optedIn)).toMatchObject({ action: 'carry-out', command: { name: 'remind' } });
  });

  it('cancel without authentication is carried out only from a reply to the secret address', async () => {
    const db = openMemoryDatabase();
    const { secret, ackId } = sentRequest(db, 'abcdefghijklmnopqrst');
    const bySecret = await decide(db, mailFrom(REQUESTER, `sign+${secret}@corp.example`, 'cancel'));
    expect(bySecret).toMatchObject({ action: 'carry-out', command: { name: 'cancel' } });
    // By the acknowledgement's Message-ID only (a reply to the plain address): answered, refused.
    const byThread = await decide(db, mailFrom(REQUESTER, 'sign@corp.example', 'cancel', `In-Reply-To: ${ackId}\r\n`));
    expect(byThread).toMatchObject({ action: 'answer', answerTo: REQUESTER });
    expect(byThread.answer).toContain("the reply goes to the acknowledgement's own reply address, and yours went to another address");
    // Other commands are taken by the thread.
    expect(await decide(db, mailFrom(REQUESTER, 'sign@corp.example', 'status', `In-Reply-To: ${ackId}\r\n`))).toMatchObject({ action: 'carry-out' });
  });

  // A forwarded acknowledgement shows its Message-ID: with it and the requester's From, a forged
  // `extend` moved the due date later at every mail, up to ten years (conversation review, left).
  it('extend without authentication is carried out only from a reply to the secret address; with authentication the thread is enough', async () => {
    const db = openMemoryDatabase();
    const { secret, ackId } = sentRequest(db, 'abcdefghijklmnopqrst');
    expect(await decide(db, mailFrom(REQUESTER, `sign+${secret}@corp.example`, 'extend 2027-01-20'))).toMatchObject({ action: 'carry-out', command: { name: 'extend' }, due: '2027-01-20' });
    const byThread = await decide(db, mailFrom(REQUESTER, 'sign@corp.example', 'extend 2036-01-20', `In-Reply-To: ${ackId}\r\n`));
    expect(byThread).toMatchObject({ action: 'answer', answerTo: REQUESTER, due: '2036-01-20' });
    expect(byThread.answer).toBe(`signrelay moves a due date by reply only when the reply goes to the acknowledgement's own reply address, and yours went to another address (mail clients sometimes answer the From instead of the Reply-To). Reply "extend 2036-01-20" to this mail — it carries that address — or ask the signrelay administrators. Nothing was changed.`);
    // Where the route requires authentication, the verdict is what proves the sender.
    const authenticated = { ...config, intake: { ...config.intake, authentication: { ...config.intake.authentication, require: ['dkim' as const], trusted_authserv_ids: ['mx.corp.example'] } } };
    const signed = mailFrom(REQUESTER, 'sign@corp.example', 'extend 2027-01-20', `In-Reply-To: ${ackId}\r\nAuthentication-Results: mx.corp.example; dkim=pass header.d=corp.example\r\n`);
    expect(await decide(db, signed, authenticated)).toMatchObject({ action: 'carry-out', command: { name: 'extend' } });
  });

  it('an unknown reply secret is filed as a reply to nothing, not taken as a request', async () => {
    const db = openMemoryDatabase();
    sentRequest(db, 'abcdefghijklmnopqrst');
    expect(await decide(db, mailFrom(REQUESTER, `sign+${'a'.repeat(32)}@corp.example`, 'cancel'))).toMatchObject({ action: 'ignore', requestId: null });
  });
});

describe('a reply without a Message-ID delivered twice', () => {
  // A Date mailparser cannot read (a named zone) it replaces with the moment of parsing: the key must not follow it.
  it.each(['Tue, 03 Nov 2026 10:00:00 +0000', 'Tue, 03 Nov 2026 10:00:00 CEST'])('is carried out once (its key comes from stable fields, not trace headers or a boundary): Date %s', async (date) => {
    const db = openMemoryDatabase();
    const { id, secret } = sentRequest(db, 'bcdefghijklmnopqrstu');
    const handler = withReplyCommands({ db, config, policy: intakePolicyFrom(config), provider: providerTraits(config.provider), logger: silentLogger(), now: () => NOW },
      async () => { throw new Error('taken for a request'); });
    const copy = (uid: number, hop: string, boundary: string) => {
      const raw = Buffer.from(`Received: from ${hop} by mx.corp.example\r\nDelivered-To: sign+${secret}@corp.example\r\n`
        + `From: Helen <${REQUESTER}>\r\nTo: sign+${secret}@corp.example\r\nSubject: Re: x\r\nDate: ${date}\r\n`
        + `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nremind\r\n--${boundary}--\r\n`);
      return watched(raw, uid);
    };
    await handler(copy(1, 'relay-a', 'b1'));
    // A parse a moment later (mailparser's stand-in for an unreadable Date moves with it).
    const before = Date.now();
    await waitFor(() => Date.now() > before + 2, { what: 'a later millisecond', intervalMs: 1 });
    await handler(copy(2, 'relay-b', 'b2'));
    expect(jobsForRequest(db, id).filter((j) => j.kind === 'command')).toHaveLength(1);
  });
});

describe('the ServiceNow instance (servicenow.senders), whose inbound actions file what it is sent on a record', () => {
  const withInstance: Config = {
    ...config,
    servicenow: { ...config.servicenow, senders: ['instance@service-now.com'] },
    routes: { ...config.routes, default: { ...config.routes.default!, reply_commands_from: ['instance@service-now.com'] } },
  };

  it('is never sent an answer: a Reply-To naming it is passed over for the From', async () => {
    const db = openMemoryDatabase();
    const { secret } = sentRequest(db, 'defghijklmnopqrstuvw');
    const decision = await decide(db, mailFrom(REQUESTER, `sign+${secret}@corp.example`, 'frobnicate', 'Reply-To: instance@service-now.com\r\n'), withInstance);
    expect(decision).toMatchObject({ action: 'answer', answerTo: REQUESTER });
  });

  it('is never sent an answer as the From either, even when reply_commands_from lists it', async () => {
    const db = openMemoryDatabase();
    const { secret } = sentRequest(db, 'efghijklmnopqrstuvwx');
    const decision = await decide(db, mailFrom('instance@service-now.com', `sign+${secret}@corp.example`, 'frobnicate'), withInstance);
    expect(decision).toMatchObject({ action: 'ignore', answerTo: null });
    expect(decision.reason).toBe('instance@service-now.com is the ServiceNow instance, which is never answered by mail: filed without an answer');
  });
});

describe('a reply carrying a PDF', () => {
  it('is told that a reply is never a new request and where to send the document', async () => {
    const db = openMemoryDatabase();
    const { secret } = sentRequest(db, 'cdefghijklmnopqrstuv');
    const raw = `From: ${REQUESTER}\r\nTo: sign+${secret}@corp.example\r\nSubject: Re: Contract\r\nMessage-ID: <pdf@corp.example>\r\nMIME-Version: 1.0\r\n`
      + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhere is the new version\r\n'
      + '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="v2.pdf"\r\n\r\n--b--\r\n';
    const decision = await decide(db, raw);
    expect(decision.action).toBe('answer');
    expect(decision.answer).toContain(`never a new request, so its PDF was not sent for signature: send the document as a new mail to ${config.mailboxes.requests.address}.`);
    // Without a PDF, no such hint.
    expect((await decide(db, mailFrom(REQUESTER, `sign+${secret}@corp.example`, 'hello'))).answer).not.toContain('new request');
  });
});

describe('extend by reply', () => {
  it('moves the due date at most ten years away: a date in 9999 is refused with why', async () => {
    const db = openMemoryDatabase();
    const { secret } = sentRequest(db, 'abcdefghijklmnopqrst');
    const decision = await decide(db, mailFrom(REQUESTER, `sign+${secret}@corp.example`, 'extend 9999-12-31'));
    expect(decision).toMatchObject({ action: 'answer', due: '9999-12-31' });
    expect(decision.answer).toContain('9999-12-31 is more than ten years away: extend to a nearer date.');
  });
});
