// Bounces of signrelay's own mail, through the whole daemon (real Dovecot, the SMTP relay, the
// simulators): every mail signrelay sends has the request mailbox as its envelope sender, so a
// delivery status notification comes back to the request INBOX. The outgoing review's proof
// (M1) showed the bounce of the signed document mailed to the instance filed away unread — the
// request still `delivered`, the record without the document, nobody told. Here it is the
// other way round: the bounce fails the delivery and alerts the operators with the fix; the
// retry mails the document again; a second bounce of the same mail, a forged one naming no mail
// signrelay sent, and a person's mail quoting ours change nothing; a bounced operator alert is
// an error where the operators look, never another alert.
import { rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import { listEvents } from '../../src/store/events.ts';
import { recordPurged } from '../../src/store/retention.ts';
import { getDocuments, getRequest, type RequestRow } from '../../src/store/requests.ts';
import { alertBouncesSince } from '../../src/store/sent-mails.ts';
import type { SinkMessage } from '../support/smtp-sink.ts';
import { waitForState, waitUntil } from '../support/wait-for-event.ts';
import { ALERTS_TO, buildMail, operatorRetry, sendRequest, useWorld, type World } from './world.ts';

const getWorld = useWorld({ completionMails: false });
const simulated = (world: World, request: RequestRow) => ({
  providerOrderId: getRequest(world.daemon!.db, request.id)!.providerOrderId, references: getDocuments(world.daemon!.db, request.id).map((d) => d.providerRef!),
});
const messageIdOf = (mail: SinkMessage) => /^Message-ID: (.*)$/im.exec(mail.raw.toString('latin1'))![1]!.trim();

/** A Postfix-shaped DSN (RFC 3464) for `original`, from `from`; the original's header comes back as text/rfc822-headers. */
function dsn(id: string, original: { messageId: string; kind: string; to: string }, from = 'Mail Delivery System <MAILER-DAEMON@relay.corp.example>'): Buffer {
  return Buffer.from([
    `From: ${from}`, 'To: sign@corp.example', 'Subject: Undelivered Mail Returned to Sender', 'Auto-Submitted: auto-replied', `Message-ID: ${id}`,
    `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="B"', '',
    '--B', 'Content-Type: text/plain', '', `<${original.to}>: host mx.example said: 552 5.3.4 Message size exceeds fixed limit, see https://mx.example/why`, '',
    '--B', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; relay.corp.example', '', `Final-Recipient: rfc822; ${original.to}`, 'Action: failed', 'Status: 5.3.4',
    'Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed limit, see https://mx.example/why', '',
    '--B', 'Content-Type: text/rfc822-headers', '', 'From: signrelay <sign@corp.example>', `To: ${original.to}`, `Message-ID: ${original.messageId}`, `X-Signrelay: ${original.kind}`, '',
    '--B--', '',
  ].join('\r\n'));
}

/** Delivers a mail to the request mailbox from `envelopeFrom` (a bounce's is empty) and waits until it is filed. */
async function fileMail(world: World, mail: Buffer, messageId: string, envelopeFrom: string) {
  await world.dovecot.deliver('sign@corp.example', mail, envelopeFrom);
  return waitUntil(world.daemon!.events, () => world.daemon!.db.prepare('SELECT outcome, reason, folder, request_id AS requestId FROM messages WHERE message_id = ?').get(messageId) as
    { outcome: string; reason: string; folder: string; requestId: string | null } | undefined, { timeoutMs: 15_000, what: `${messageId} filed` });
}

/** Mail jobs queued since `since` to the operators: alerts. */
const alertJobsSince = (world: World, since: number) => world.daemon!.db.prepare(
  "SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND id > ? AND json_extract(payload, '$.purpose') = 'alert'").get(since) as { n: number };
const lastJobId = (world: World) => (world.daemon!.db.prepare('SELECT coalesce(max(id), 0) AS id FROM jobs').get() as { id: number }).id;

it('a bounce of the signed document mailed to the instance fails the delivery and alerts the operators; retry mails it again', async () => {
  const world = getWorld();
  const db = world.daemon!.db;
  const { request } = await sendRequest(world, 'RITM0010005', { to: 'sign+mail@corp.example' });
  await world.signing.signAll(simulated(world, request));
  await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${request.token}@corp.example`, subject: 'contract has been signed', text: 'signed',
  }));
  await waitForState(world.daemon!, request.id, 'delivered', { timeoutMs: 20_000 });
  const delivery = await world.smtp.waitFor((m) => /^X-Signrelay: delivery/im.test(m.raw.toString('latin1')), 10_000);
  const deliveryId = messageIdOf(delivery);
  // Random, never the request id a requester reads in the acknowledgement (which would let one forge its bounce).
  expect(deliveryId).not.toContain(request.id);

  const before = lastJobId(world);
  const filed = await fileMail(world, dsn('<dsn-1@relay.corp.example>', { messageId: deliveryId, kind: 'delivery', to: 'instance@service-now.com' }), '<dsn-1@relay.corp.example>', '');
  expect(filed).toMatchObject({ outcome: 'bounce', folder: 'Processed', requestId: request.id });
  expect(filed.reason).toMatch(/bounced \(instance@service-now\.com: Status 5\.3\.4: 552 5\.3\.4 Message size exceeds fixed limit.*\): request r_\w+ failed, the operators alerted$/);
  const failed = getRequest(db, request.id)!;
  expect(failed.state).toBe('failed');
  expect(failed.reason).toMatch(/^the mail with the signed document to instance@service-now\.com bounced: .*552 5\.3\.4/);
  expect(listEvents(db, request.id).find((e) => e.kind === 'mail' && e.detail?.bounced === 'delivery')?.detail).toMatchObject({ dsn: '<dsn-1@relay.corp.example>', messageId: deliveryId, verdict: 'failed' });

  // The operators hear of it: the request, the record, the mail system's words (its link made inert) and the fix.
  const alert = await world.smtp.waitFor((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO) && /bounced/.test(m.parsed?.subject ?? ''), 10_000);
  expect(alert.parsed!.subject).toBe(`[signrelay] the signed document of request ${request.id} bounced: RITM0010005 does not have it`);
  expect(alert.parsed!.text).toContain('552 5.3.4 Message size exceeds fixed limit, see https[:]//mx.example/why');
  expect(alert.parsed!.text).toContain(`signrelay retry ${request.id}`);
  expect(alertJobsSince(world, before).n).toBe(1);
  // Never answered: nothing went back to the mail system.
  expect(world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => /mailer-daemon/i.test(r.address)))).toEqual([]);

  // A second bounce of the same mail (another hop's, or a forged copy) changes nothing and alerts nobody.
  const again = lastJobId(world);
  const second = await fileMail(world, dsn('<dsn-2@relay.corp.example>', { messageId: deliveryId, kind: 'delivery', to: 'instance@service-now.com' }), '<dsn-2@relay.corp.example>', '');
  expect(second).toMatchObject({ outcome: 'bounce', folder: 'Processed' });
  expect(second.reason).toMatch(/bounced before: nothing changed again$/);
  expect(alertJobsSince(world, again).n).toBe(0);

  // The operator fixed the cause: retry mails the signed document again, as a new message.
  operatorRetry(world, request.id);
  await waitForState(world.daemon!, request.id, 'delivered', { timeoutMs: 20_000 });
  const resent = await world.smtp.waitFor((m) => /^X-Signrelay: delivery/im.test(m.raw.toString('latin1')) && messageIdOf(m) !== deliveryId, 10_000);
  expect(resent.parsed!.subject).toBe('re: RITM0010005 signed');
  expect(resent.parsed!.attachments.map((a) => a.filename)).toEqual(['contract-signed.pdf']);

  // A forged bounce naming no mail signrelay sent, and a person's report quoting the real one: filed as before, nothing changes.
  const quiet = lastJobId(world);
  const forged = await fileMail(world, dsn('<forged-1@evil.example>', { messageId: '<signrelay.delivery.0000000000000000@corp.example>', kind: 'delivery', to: 'instance@service-now.com' }), '<forged-1@evil.example>', '');
  expect(forged).toMatchObject({ outcome: 'ignored', folder: 'Rejected', requestId: null });
  const person = await fileMail(world, dsn('<forged-2@evil.example>', { messageId: messageIdOf(resent), kind: 'delivery', to: 'instance@service-now.com' }, 'Mallory <mallory@evil.example>'), '<forged-2@evil.example>', 'mallory@evil.example');
  expect(person).toMatchObject({ outcome: 'ignored', folder: 'Rejected', requestId: null });
  expect(getRequest(db, request.id)!.state).toBe('delivered');
  expect(alertJobsSince(world, quiet).n).toBe(0);
}, 180_000);

it('a bounced operator alert is an error where the operators look, and no alert of its own; a bounced acknowledgement a line on the trail', async () => {
  const world = getWorld();
  const db = world.daemon!.db;
  const alert = world.smtp.messages.find((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO))!;
  const before = lastJobId(world);
  const filed = await fileMail(world, dsn('<dsn-alert@relay.corp.example>', { messageId: messageIdOf(alert), kind: 'alert', to: ALERTS_TO }), '<dsn-alert@relay.corp.example>', '');
  expect(filed).toMatchObject({ outcome: 'bounce', folder: 'Processed' });
  expect(filed.reason).toMatch(/alerts\.to cannot be told by mail — see signrelay status$/);
  expect(alertBouncesSince(db, new Date(Date.now() - 60_000))).toMatchObject({ count: 1, latest: { to: ALERTS_TO } });
  expect(world.logs.some((l) => /"level":"error"/.test(l) && /an operator alert to signrelay-admins@corp\.example bounced/.test(l))).toBe(true);
  // No loop: nothing was mailed about it.
  expect(lastJobId(world)).toBe(before);

  const { request } = await sendRequest(world, 'RITM0010001');
  const acknowledgement = world.smtp.messages.find((m) => /^X-Signrelay: acknowledgement/im.test(m.raw.toString('latin1')) && m.raw.includes(request.id))!;
  const noted = await fileMail(world, dsn('<dsn-ack@mx.example.com>', { messageId: messageIdOf(acknowledgement), kind: 'acknowledgement', to: 'requester@corp.example' }), '<dsn-ack@mx.example.com>', '');
  expect(noted).toMatchObject({ outcome: 'bounce', folder: 'Processed', requestId: request.id });
  expect(listEvents(db, request.id).some((e) => e.kind === 'mail' && e.detail?.bounced === 'acknowledgement')).toBe(true);
  expect(getRequest(db, request.id)!.state).toBe('sent');
}, 120_000);

it('a bounce that comes after retention deleted the files says so, and retry downloads the signed copy again (diff review 19 L2)', async () => {
  const world = getWorld();
  const db = world.daemon!.db;
  const { request } = await sendRequest(world, 'RITM0010006', { to: 'sign+mail@corp.example' });
  await world.signing.signAll(simulated(world, request));
  await world.dovecot.deliver(`returns+${request.token}@corp.example`, await buildMail({
    from: 'Secured Signing <noreply@securedsigning.com>', to: `returns+${request.token}@corp.example`, subject: 'contract has been signed', text: 'signed',
  }));
  await waitForState(world.daemon!, request.id, 'delivered', { timeoutMs: 20_000 });
  const delivery = await world.smtp.waitFor((m) => /^X-Signrelay: delivery/im.test(m.raw.toString('latin1')) && m.raw.includes('RITM0010006'), 10_000);
  // Retention's purge, days before the late bounce: the files gone, the note in the trail.
  const files = getDocuments(db, request.id).flatMap((d) => [d.originalSha256, d.stampedSha256, d.signedSha256]).filter((h): h is string => typeof h === 'string');
  for (const hash of files) rmSync(world.daemon!.blobs.pathOf(hash), { force: true });
  recordPurged(db, request.id, { deleted: files, kept: [], retentionDays: 1 }, new Date());

  await fileMail(world, dsn('<dsn-late@relay.corp.example>', { messageId: messageIdOf(delivery), kind: 'delivery', to: 'instance@service-now.com' }), '<dsn-late@relay.corp.example>', '');
  expect(getRequest(db, request.id)!.state).toBe('failed');
  // The alert as recorded on the request (its mail may be held back behind the first test's of its kind: alerts.min_interval_minutes).
  const alert = listEvents(db, request.id).find((e) => e.kind === 'note' && e.detail?.alert === 'bounced')!.detail as { subject: string; text: string };
  expect(alert.subject).toBe(`the signed document of request ${request.id} bounced: RITM0010006 does not have it`);
  expect(alert.text).toContain('its files were deleted by retention meanwhile, so it downloads the signed document from the provider again');
  expect(alert.text).not.toContain('it mails the signed document again. Or attach');

  const downloads = world.signing.counts().downloads;
  operatorRetry(world, request.id);
  // Its `delivered` of before counts for waitForState: the new mail is what shows the retry done.
  const resent = await world.smtp.waitFor((m) => /^X-Signrelay: delivery/im.test(m.raw.toString('latin1')) && m.raw.includes('RITM0010006') && messageIdOf(m) !== messageIdOf(delivery), 20_000);
  expect(resent.parsed!.attachments.map((a) => a.filename)).toEqual(['contract-signed.pdf']);
  expect(world.signing.counts().downloads).toBeGreaterThan(downloads);
  await waitUntil(world.daemon!.events, () => getRequest(db, request.id)!.state === 'delivered', { what: 'delivered again' });
}, 180_000);
