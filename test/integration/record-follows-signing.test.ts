// The record follows the signing, once per provider, through the whole daemon (Dovecot,
// the provider's and the ServiceNow simulator): a work note naming the signers in order,
// the due date, the provider and its reference, and the requester, when the request is sent;
// the signed note saying every invitation was signed (not by whom: a forwarded invitation is
// signed by someone else) and when, as the provider reports it; a note for a decline (who,
// and their reason quoted as theirs, made inert), an expiry, a withdrawal, a failure given up on,
// a reminder (where the provider reminds); the status field set at each transition — each
// exactly once; no signing link on the record or in the log. A route that delivers by
// email makes no REST call for the record.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { createRemindersTask } from '../../src/scheduler/send-reminders.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { listEvents } from '../../src/store/events.ts';
import { getRequest, listRequests } from '../../src/store/requests.ts';
import { utcMinute } from '../../src/time.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { buildMail, contractPdf, sendRequest, type World } from './world.ts';
import { dayFromNow, notesOf, providerNotice, recordOf, signAndDeliver, signicatOf, simulated, statusOf, statusValues, useRecordWorld } from './record-world.ts';

const stateOf = (world: World, id: string) => getRequest(world.daemon!.db, id)?.state;
const TWO_SIGNERS = 'Signer 1: Ann Lee <ann.lee@example.com>\nSigner 2: Bob Stone <bob.stone@corp.example>';
const SIGNERS_NAMED = 'Ann Lee <ann.lee@example.com>, Bob Stone <bob.stone@corp.example>';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits for the record's note that starts with `start`, and checks there is exactly one. */
async function noteStarting(world: World, record: string, start: string): Promise<string> {
  const note = await waitUntil(world.daemon!.events, () => notesOf(world, record).find((n) => n.startsWith(start)), { timeoutMs: 15_000, what: `the note "${start}…" on ${record}`, describe: () => notesOf(world, record) });
  expect(notesOf(world, record).filter((n) => n.startsWith(start))).toHaveLength(1);
  return note;
}

const statusBecomes = (world: World, record: string, value: string) =>
  waitUntil(world.daemon!.events, () => statusOf(world, record) === value, { timeoutMs: 10_000, what: `${record}'s status field ${value}`, describe: () => statusValues(world, record) });

describe.each(PROVIDER_NAMES)('%s: the record follows the signing', (provider) => {
  const getWorld = useRecordWorld({ provider });
  const display = provider === 'signicat' ? 'Signicat' : 'Secured Signing';

  it('sent: a note naming the signers in order, the due date, the provider and its reference; the field sent, then signed', async () => {
    const world = getWorld();
    const due = dayFromNow(22);
    const { request, reference } = await sendRequest(world, 'RITM0010001', { text: `${TWO_SIGNERS}\nDue: ${due}` });
    const orderId = getRequest(world.daemon!.db, request.id)!.providerOrderId;
    const note = await noteStarting(world, 'RITM0010001', 'Sent for signature');
    const ref = orderId ? `order ${orderId}` : `reference ${reference}`;
    // Who asked, and that nothing vouched for them — no authentication is required here (audit review M1).
    expect(note).toMatch(new RegExp(`^Sent for signature to ${escape(SIGNERS_NAMED)} via ${display}, due ${due}, ${escape(ref)}\\. Requested by helen\\.officer@corp\\.example \\(not authenticated: none was required\\)\\. \\(signrelay ${request.id}, sent #\\d+\\)$`));
    await statusBecomes(world, 'RITM0010001', 'sent');

    await signAndDeliver(world, request);
    await statusBecomes(world, 'RITM0010001', 'signed');
    const signed = await noteStarting(world, 'RITM0010001', `Signed via ${display} (${ref}): every invitation signed, the last at `);
    expect(signed).toMatch(new RegExp(`UTC as ${display} reports \\(invited: ${escape(SIGNERS_NAMED)}\\); attached by signrelay, request ${request.id}\\.$`));
    expect(notesOf(world, 'RITM0010001')).toHaveLength(2);
    expect(statusValues(world, 'RITM0010001')).toEqual(['sent', 'signed']);

    // Signing links are the signers' secrets: nowhere on the record, nowhere in the log.
    const links = [...(signicatOf(world)?.orders.values() ?? [])].flatMap((o) => o.tasks.map((t) => t.signingUrl));
    if (provider === 'signicat') expect(links.length).toBeGreaterThan(0);
    const onRecord = JSON.stringify(recordOf(world, 'RITM0010001'));
    const logs = world.logs.join('');
    for (const link of links) {
      expect(onRecord).not.toContain(link);
      expect(logs).not.toContain(link);
    }
    expect(notesOf(world, 'RITM0010001').join('\n')).not.toMatch(/https?:/);
  });

  it('declined: the note names who declined and the reason, made inert; the field declined', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010002', { text: TWO_SIGNERS });
    await world.signing.decline(simulated(world, request), '[code]<img src=x onerror=alert(1)>[/code]\n\nSigned by CEO @Admin: the salary is wrong');
    await providerNotice(world, request.token, 'contract has been declined');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'declined', { timeoutMs: 20_000, what: 'the request declined' });
    const note = await noteStarting(world, 'RITM0010002', 'Signature request declined');
    expect(note).toContain("Ann Lee's reason: \u201c(code)(img src=x onerror=alert(1))(/code) Signed by CEO (at)Admin: the salary is wrong\u201d.");
    expect(note).toContain('Declined by Ann Lee <ann.lee@example.com>.');
    expect(note).toContain(`Signers: ${SIGNERS_NAMED}.`);
    expect(note).not.toMatch(/[\n\r[\]]|<img/);
    await statusBecomes(world, 'RITM0010002', 'declined');
    expect(statusValues(world, 'RITM0010002')).toEqual(['sent', 'declined']);
  });

  it('signed while signrelay was down: the signed note and the trail give the provider\'s signing time, in UTC, not when signrelay noticed', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010007', { text: TWO_SIGNERS });
    const atProvider = simulated(world, request);
    await world.stopDaemon(); // a weekend's outage
    await world.signing.signAll(atProvider);
    // The provider's own time for the last signature, days before signrelay looks — written in
    // the provider's own zone, and with a second signrelay must not round up.
    const signedAt = new Date(Date.now() - 3 * 86_400_000);
    signedAt.setUTCSeconds(59, 0);
    const inProviderZone = new Date(signedAt.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    const signicat = signicatOf(world);
    if (signicat) {
      for (const task of signicat.orders.get(atProvider.providerOrderId!)!.tasks) {
        for (const e of task.events) if (e.eventType === 'TASK_COMPLETED') e.eventTime = task.id === 'signer-2' ? inProviderZone : new Date(signedAt.getTime() - 60_000).toISOString();
      }
    } else {
      world.simulator.documents.get(atProvider.references[0]!)!.lastSignedDate = inProviderZone;
    }
    world.startDaemon();
    await providerNotice(world, request.token, 'contract has been signed');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const note = await noteStarting(world, 'RITM0010007', `Signed via ${display}`);
    expect(note).toContain(`: every invitation signed, the last at ${utcMinute(signedAt)} as ${display} reports (invited: ${SIGNERS_NAMED}); attached by signrelay, request ${request.id}.`);
    expect(note).not.toContain(inProviderZone); // the provider's text is read, never copied
    const completed = listEvents(world.daemon!.db, request.id).find((e) => e.toState === 'completed')!;
    expect(completed.detail).toMatchObject({ lastSignedAt: signedAt.toISOString() });
    expect(Date.parse(completed.at) - signedAt.getTime()).toBeGreaterThan(86_400_000); // the event's own time is signrelay's
  });

  it('declined with a reason that writes signrelay\'s sentences: the reason is quoted as the signer\'s and cannot close its quote', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010008', { text: TWO_SIGNERS });
    const forged = 'Wrong version\u201d. Declined by Bob Stone <bob.stone@corp.example>. Signature request withdrawn by the signrelay administrators';
    await world.signing.decline(simulated(world, request), forged);
    await providerNotice(world, request.token, 'contract has been declined');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'declined', { timeoutMs: 20_000, what: 'the request declined' });
    const note = await noteStarting(world, 'RITM0010008', 'Signature request declined');
    expect(note).toContain("Ann Lee's reason: \u201cWrong version'. Declined by Bob Stone (bob.stone@corp.example). Signature request withdrawn by the signrelay administrators\u201d. Declined by Ann Lee <ann.lee@example.com>.");
    // Outside the quotes, only signrelay's words: no "Declined by Bob", no withdrawal.
    const ours = note.replace(/\u201c[^\u201c\u201d]*\u201d/g, '\u201c\u201d');
    expect(ours).not.toMatch(/Bob Stone \(|withdrawn/);
    expect(ours.match(/Declined by/g)).toHaveLength(1);
  });

  it('expired: a note and the field expired', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010003');
    await world.signing.expire(simulated(world, request));
    await providerNotice(world, request.token, 'contract has expired');
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'expired', { timeoutMs: 20_000, what: 'the request expired' });
    expect(await noteStarting(world, 'RITM0010003', 'Signature request expired')).toMatch(new RegExp(`\\(signrelay ${request.id}, expired #\\d+\\)$`));
    await statusBecomes(world, 'RITM0010003', 'expired');
    expect(statusValues(world, 'RITM0010003')).toEqual(['sent', 'expired']);
  });

  it('cancelled: the withdrawal is noted once and the field cancelled', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010004');
    queueCancel(world.daemon!.db, request.id, 'the wrong contract version', new Date(), request.provider);
    world.daemon!.jobs.poke();
    const note = await noteStarting(world, 'RITM0010004', 'Signature request withdrawn');
    expect(note).toContain(`(signrelay ${request.id}). The signrelay administrators' reason: \u201cthe wrong contract version\u201d. Signers: Ann Lee <ann.lee@example.com>. (signrelay ${request.id}, cancelled #`);
    await statusBecomes(world, 'RITM0010004', 'cancelled');
    expect(statusValues(world, 'RITM0010004')).toEqual(['sent', 'cancelled']);
  });

  it('failed and given up: a send the provider refuses is noted and the field failed', async () => {
    const world = getWorld();
    const signicat = signicatOf(world);
    if (signicat) signicat.failNext('/orders', { status: 400 });
    else world.simulator.failNext('/SmartTag/Send', { status: 400, body: { ResponseStatus: { ErrorCode: 'BadRequest', Message: 'The document [code]cannot[/code] be sent' } } });
    await world.dovecot.deliver('sign@corp.example', await buildMail({
      subject: 'Contract for RITM0010005', text: 'Signer: Ann Lee <ann.lee@example.com>', attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
    }));
    const request = await waitUntil(world.daemon!.events, () => listRequests(world.daemon!.db, { state: 'failed' }).find((r) => r.recordNumber === 'RITM0010005'), { timeoutMs: 20_000, what: 'the request failed' });
    const note = await noteStarting(world, 'RITM0010005', `Signature request failed (signrelay ${request.id}): submitting to the provider failed:`);
    if (provider === 'secured-signing') expect(note).toContain('(code)cannot(/code)');
    expect(note).toMatch(/The signrelay administrators were alerted\. Signers: Ann Lee <ann\.lee@example\.com>\. \(signrelay r_\w+, failed #\d+\)$/);
    await statusBecomes(world, 'RITM0010005', 'failed');
    expect(statusValues(world, 'RITM0010005')).toEqual(['failed']);
  });

  it('a route that delivers by email: the record hears only the signed mail; the one REST call is intake\'s look that the record exists', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'INC0012345', { to: 'sign+mail@corp.example' });
    await signAndDeliver(world, request);
    await world.servicenow.inbound!.waitFor((p) => p.record?.number === 'INC0012345', 15_000);
    const { sysId } = recordOf(world, 'INC0012345');
    expect(world.servicenow.calls.filter((c) => c.path.includes(sysId) || c.query.sysparm_query?.includes('INC0012345')).map((c) => `${c.method} ${c.path}`))
      .toEqual(['GET /api/now/table/incident']);
    expect(statusOf(world, 'INC0012345')).toBeUndefined();
  });
});

describe('signicat: an invitation signed by someone other than the invited person', () => {
  const getWorld = useRecordWorld({ provider: 'signicat' });

  it('the signed note says the invitation was signed, never that the invited person signed; the signed PDF beside it names the real signer', async () => {
    const world = getWorld();
    const { request } = await sendRequest(world, 'RITM0010009');
    // The invitation was forwarded; Mallory opened the link and signed with her own eID.
    await signicatOf(world)!.signTask(simulated(world, request).providerOrderId!, 'signer-1', { signer: 'mallory@evil.example' });
    await waitUntil(world.daemon!.events, () => stateOf(world, request.id) === 'delivered', { timeoutMs: 20_000, what: 'the request delivered' });
    const note = await noteStarting(world, 'RITM0010009', 'Signed via Signicat');
    expect(note).toMatch(/^Signed via Signicat \(order [^)]+\): every invitation signed, the last at [0-9: -]+ UTC as Signicat reports \(invited: Ann Lee <ann\.lee@example\.com>\); attached by signrelay, request r_\w+\.$/);
    expect(notesOf(world, 'RITM0010009').join('\n')).not.toMatch(/(Signed|signed) by Ann|Ann Lee signed/);
    const pdf = recordOf(world, 'RITM0010009').attachments.find((a) => a.fileName === 'contract-signed.pdf')!;
    expect((await extractPdfText(new Uint8Array(pdf.bytes))).join('\n')).toContain('mallory@evil.example');
  });
});

describe('secured-signing: a reminder', () => {
  const getWorld = useRecordWorld();

  it('is noted once; the field does not change', async () => {
    const world = getWorld();
    const due = dayFromNow(1);
    const { request, reference } = await sendRequest(world, 'RITM0010006', { text: `Signer: Ann Lee <ann.lee@example.com>\nDue: ${due}` });
    await statusBecomes(world, 'RITM0010006', 'sent');
    // Sent ten days ago (the reminder goes two days before the due date, never right after the invitation).
    const db = world.daemon!.db;
    db.prepare("UPDATE events SET at = ? WHERE request_id = ? AND kind = 'transition' AND to_state = 'sent'").run(new Date(Date.now() - 10 * 86_400_000).toISOString(), request.id);
    // The daemon's reminders task itself, on its database.
    const reminders = createRemindersTask({
      db, config: world.config, logger: silentLogger(), jobsQueued: () => world.daemon!.jobs.poke(),
      provider: createProvider(world.config.provider, { db, logger: silentLogger() }),
    });
    const run = () => reminders.run({ now: () => new Date(), signal: new AbortController().signal });
    expect(await run()).toEqual({ counts: { sent: 1 }, problems: [] });
    expect(await run()).toEqual({ counts: { sent: 0 }, problems: [] });
    const note = await noteStarting(world, 'RITM0010006', 'Reminder sent');
    expect(note).toMatch(new RegExp(`^Reminder sent via Secured Signing to the signers who have not signed yet \\(reference ${reference}\\)\\. Signers: Ann Lee <ann\\.lee@example\\.com>\\. \\(signrelay ${request.id}, reminded #\\d+\\)$`));
    await world.daemon!.jobs.idle();
    expect(statusValues(world, 'RITM0010006')).toEqual(['sent']);
  });
});
