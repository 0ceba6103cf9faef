// Who gets mail from signrelay, and which mails it acts on at all, through the real daemon,
// Dovecot and the SMTP server: a Reply-To cannot turn signrelay into a relay, a flood gets
// at most limits.max_replies_per_hour answers, an address that only looks allowed once
// decoded is refused, and a Record: line cannot pick a table signrelay does not deliver to.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runExplainCommand } from '../../src/commands/explain.ts';
import { REQUESTS_MAILBOX } from '../../src/intake/process-request-mail.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { RETURNS_MAILBOX } from '../../src/completion/process-completion-mail.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { buildMail, contractPdf, sendRequest, useWorld, type MailSpec, type World } from '../integration/world.ts';

const getWorld = useWorld({ completionMails: false });
const PHISH = 'Payroll update: confirm your bank details at https://payroll-corp.evil.example/login today';

async function filed(world: World, messageId: string, spec: MailSpec) {
  await world.dovecot.deliver('sign@corp.example', await buildMail({ messageId, ...spec }));
  return waitUntil(world.daemon!.events, () => {
    const row = findMessageById(world.daemon!.db, REQUESTS_MAILBOX, messageId);
    return row?.movedAt ? row : undefined;
  }, { timeoutMs: 20_000, what: `${messageId} filed` });
}

const sentTo = (world: World, address: string) => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address.toLowerCase() === address));
// A request without its PDF: a Signer line makes it one (a mail with nothing of a request is answered once a day at most: below).
const relayAttempt = (n: number): MailSpec => ({ from: 'Payroll <payroll@corp.example>', headers: { 'Reply-To': 'victim@third.example' }, subject: PHISH, text: `Signer: Ann Lee <ann.lee@corp.example>\nno PDF here (${n})` });

describe('replies', () => {
  it('go to the From when the Reply-To may not send requests, and quote the subject cut and defused', async () => {
    const world = getWorld();
    const row = await filed(world, '<relay-1@corp.example>', relayAttempt(1));
    expect(row.folder).toBe('Rejected');
    const reply = await world.smtp.waitFor((m) => m.parsed?.inReplyTo === '<relay-1@corp.example>', 15_000);
    expect(reply.envelope.rcptTo.map((r) => r.address)).toEqual(['payroll@corp.example']);
    expect(sentTo(world, 'victim@third.example')).toEqual([]);
    expect(reply.parsed!.subject).not.toContain('https://');
    expect(reply.parsed!.text).not.toContain('https://payroll-corp.evil.example');
    expect(reply.parsed!.subject!.length).toBeLessThanOrEqual(204);
  }, 180_000);

  it('to one address stop at limits.max_replies_per_hour, with an alert; every mail is still filed once', async () => {
    const world = getWorld();
    const before = sentTo(world, 'payroll@corp.example').length;
    const limit = 5; // the default of limits.max_replies_per_hour
    const ids = Array.from({ length: limit + 6 }, (_, i) => `<flood-${i}@corp.example>`);
    for (const [i, id] of ids.entries()) await world.dovecot.deliver('sign@corp.example', await buildMail({ messageId: id, ...relayAttempt(i + 2) }));
    await waitUntil(world.daemon!.events, () => ids.every((id) => findMessageById(world.daemon!.db, REQUESTS_MAILBOX, id)?.movedAt), { timeoutMs: 60_000, what: 'every flood mail filed' });
    await world.daemon!.jobs.idle();

    // The first test's reply counts too: the limit is per address per hour.
    expect(sentTo(world, 'payroll@corp.example').length - before).toBe(limit - 1);
    expect(sentTo(world, 'victim@third.example')).toEqual([]);
    const held = ids.map((id) => findMessageById(world.daemon!.db, REQUESTS_MAILBOX, id)!).filter((r) => r.reason.includes('limits.max_replies_per_hour'));
    expect(held).toHaveLength(ids.length - (limit - 1));
    expect(held.every((r) => r.folder === 'Rejected')).toBe(true);
    const alerts = world.daemon!.db.prepare("SELECT detail FROM events WHERE json_extract(detail, '$.alert') = 'replies'").all() as Array<{ detail: string }>;
    expect(alerts.length).toBe(1); // one for the address and hour, not one per mail
    expect(JSON.parse(alerts[0]!.detail).subject).toBe('replies to payroll@corp.example held back');
    expect(world.config.limits.max_replies_per_hour).toBe(limit);
  }, 180_000);

  it('to a mail with nothing of a request in it (no PDF, no Record: or Signer line) go once a day at most: an autoresponder without a header that says so is not answered again and again', async () => {
    const world = getWorld();
    const from = 'Sanne de Vries <sanne.devries@partner.example>';
    const routes = world.config.routes;
    expect(routes.default!.allowed_senders).not.toContain('*@partner.example');
    await world.stopDaemon();
    world.config = { ...world.config, routes: { ...routes, default: { ...routes.default!, allowed_senders: [...routes.default!.allowed_senders, '*@partner.example'] } } };
    world.startDaemon();
    try {
      const first = await filed(world, '<oof-1@partner.example>', { from, subject: 'Re: Sent for signature: RITM0010001', text: 'Ik ben tot 16 november afwezig.' });
      await world.daemon!.jobs.idle();
      expect(sentTo(world, 'sanne.devries@partner.example')).toHaveLength(1);
      expect(first.reason).not.toContain('not answered');
      const second = await filed(world, '<oof-2@partner.example>', { from, subject: 'Re: attach the document', text: 'Ik ben tot 16 november afwezig.' });
      await world.daemon!.jobs.idle();
      expect(sentTo(world, 'sanne.devries@partner.example')).toHaveLength(1);
      expect(second.reason).toContain('(not answered: sanne.devries@partner.example was sent a reply within the day, and this mail holds nothing of a request');
      // A request that names a signer is still answered, however recently that address was.
      await filed(world, '<oof-3@partner.example>', { from, subject: 'contract', text: 'Signer: Ann Lee <ann.lee@corp.example>' });
      await world.daemon!.jobs.idle();
      expect(sentTo(world, 'sanne.devries@partner.example')).toHaveLength(2);
    } finally {
      await world.stopDaemon();
      world.config = { ...world.config, routes };
      world.startDaemon();
    }
  }, 180_000);

  it('explain says who a reply would go to, and why not the Reply-To', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'signrelay-explain-')), 'relay.eml');
    writeFileSync(file, await buildMail(relayAttempt(0)));
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    expect(await runExplainCommand([file], { stdout: out, stderr: new PassThrough() })).toBe(0);
    expect(JSON.parse(text)).toMatchObject({
      action: 'reject', reply: true, replyTo: 'payroll@corp.example',
      replyNote: 'not the Reply-To: victim@third.example is not allowed by routes.default.allowed_senders; the From is answered',
    });
  });
});

describe('who may send', () => {
  it('an address whose punycode domain only decodes to an allowed one is refused, without a reply, and nothing is sent', async () => {
    const world = getWorld();
    const uploads = world.simulator.documents.size;
    const row = await filed(world, '<idn-spoof@corp.example>', {
      from: 'Payroll <x@xn--corp-.xn--example->', subject: 'Contract RITM0010001', text: 'Signer: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    });
    expect(row).toMatchObject({ folder: 'Rejected', outcome: 'rejected' });
    expect(row.reason).toContain('the From address x@xn--corp-.xn--example- is not a usable address');
    expect(world.simulator.documents.size).toBe(uploads);
    await world.daemon!.jobs.idle();
    expect(world.smtp.messages.filter((m) => m.parsed?.inReplyTo === '<idn-spoof@corp.example>')).toEqual([]);
  }, 180_000);

  it('a completion mail from a look-alike whose punycode only decodes to securedsigning.com goes to Unmatched', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010006');
    await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
      from: 'Secured Signing <noreply@xn--securedsigning-.com>', to: `returns+${request.token}@corp.example`,
      subject: 'contract has been signed', text: 'signed', messageId: '<idn-completion@evil.example>',
    }));
    const row = await waitUntil(world.daemon!.events, () => {
      const found = findMessageById(world.daemon!.db, RETURNS_MAILBOX, '<idn-completion@evil.example>');
      return found?.movedAt ? found : undefined;
    }, { timeoutMs: 20_000, what: 'the completion mail filed' });
    expect(row).toMatchObject({ folder: 'Unmatched', outcome: 'unmatched' });
    expect(row.reason).toContain('noreply@xn--securedsigning-.com is not a usable address');
    expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'complete')).toEqual([]);
  }, 180_000);

  it('a Record: line naming a table signrelay does not deliver to is refused with a reply saying which it does', async () => {
    const world = getWorld();
    const uploads = world.simulator.documents.size;
    const row = await filed(world, '<sys-user@corp.example>', {
      subject: 'Please sign', text: 'Record: sys_user/9d385017c611228701d22104cc95c371\nSigner: Ann Lee <ann.lee@example.com>',
      attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    });
    expect(row.folder).toBe('Rejected');
    const reply = await world.smtp.waitFor((m) => m.parsed?.inReplyTo === '<sys-user@corp.example>', 15_000);
    expect(reply.parsed!.text).toContain('signrelay files documents only on sc_req_item, sn_hr_core_case, incident, not on sys_user');
    expect(world.simulator.documents.size).toBe(uploads);
  }, 180_000);
});
