// The requester's conversation, through the whole daemon (Dovecot, the SMTP relay, each
// provider's simulator, the ServiceNow simulator): one acknowledgement when a request is sent
// (none to an automatic mail or a route that turns it off), threaded, with a Reply-To that
// carries its own random reply secret (never the request token, which signers see); each reply command carried out once and answered once; a
// copy of a reply does nothing twice; a stranger's or a forged reply changes nothing and is
// not answered; a command the state does not allow, or one signrelay does not know, is
// answered and changes nothing; hostile text in a reason is inert on the record and in the answer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExplainCommand } from '../../src/commands/explain.ts';
import { PROVIDER_NAMES } from '../../src/sandbox/simulated-provider.ts';
import { getAcknowledgement, listReplyCommands } from '../../src/store/conversation.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getDocuments, getRequest } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { acknowledgementOf, acknowledgementsOf, answersTo, answerTo, buildReply, DKIM_PASS, filed, reply, REQUESTER, sendFor, stateOf, useConversationWorld } from './conversation-world.ts';
import { dayFromNow, notesOf, recordOf, signAndDeliver, signicatOf, simulated, statusValues } from './record-world.ts';
import type { World } from './world.ts';

// A line separator (U+2028) and a vertical tab stay on the reply's first line, so they reach the reason; a CRLF ends it (the next line is not read).
const HOSTILE = '[code]<img src=x onerror=alert(1)>[/code] @[sys_id:abc] [!Recipient.C,Eve,Bad,eve@evil.example]\u2028Signed by\vCEO\r\n@[sys_id:second-line]';

const notesStarting = (world: World, record: string, start: string) => notesOf(world, record).filter((n) => n.startsWith(start));

describe.each(PROVIDER_NAMES)('%s: the requester\'s conversation', (provider) => {
  const getWorld = useConversationWorld(provider);
  const display = provider === 'signicat' ? 'Signicat' : 'Secured Signing';

  it('acknowledges a sent request once, threaded, with the record, signers in order, due date, reference and the commands', async () => {
    const world = getWorld();
    const due = dayFromNow(20);
    const request = await sendFor(world, 'RITM0010001', { text: `Signer 1: Ann Lee <ann.lee@example.com>\nSigner 2: Bob Stone <bob.stone@corp.example>\nDue: ${due}` });
    const ack = await acknowledgementOf(world, request);
    const { parsed } = ack;
    expect(ack.envelope.rcptTo.map((r) => r.address)).toEqual([REQUESTER]);
    expect(parsed!.inReplyTo).toBe(request.messageId);
    expect(parsed!.references).toBe(request.messageId);
    expect(parsed!.headers.get('auto-submitted')).toBe('auto-replied');
    const secret = getAcknowledgement(world.daemon!.db, request.id)!.replySecret!;
    expect(secret).toMatch(/^[a-z2-7]{32}$/);
    expect(parsed!.replyTo!.value[0]!.address).toBe(`sign+${secret}@corp.example`);
    expect(parsed!.subject).toBe('Sent for signature: Contract for RITM0010001');
    const text = parsed!.text!;
    const sent = getRequest(world.daemon!.db, request.id)!;
    const reference = sent.providerOrderId ? `order ${sent.providerOrderId}` : `reference ${getDocuments(world.daemon!.db, request.id)[0]!.providerRef}`;
    expect(text).toContain('Record:     RITM0010001');
    if (provider === 'signicat') {
      // Signicat counts whole days from the order's creation: the requester is told the moment
      // its tasks expire, and it is on the due day, never after it.
      const expiresAt = new Date(Math.max(...signicatOf(world)!.orders.get(sent.providerOrderId!)!.tasks.map((t) => t.expiresAt)));
      expect(expiresAt.toISOString().slice(0, 10)).toBe(due);
      expect(text).toContain(`Due:        ${due} (signing closes at ${expiresAt.toISOString().slice(11, 16)} UTC that day)`);
    } else {
      expect(text).toContain(`Due:        ${due} (signing closes at 23:59 UTC that day)`);
    }
    expect(text).toContain(`${display}: ${reference}`);
    expect(text).toMatch(/1\. Ann Lee <ann\.lee@example\.com>\n {2}2\. Bob Stone <bob\.stone@corp\.example>/);
    for (const command of ['cancel REASON', 'remind', 'extend DATE', 'status']) expect(text).toContain(`  ${command}`);
    // Said on the command's own line where the provider cannot move a due date (Signicat), not where it can.
    const extendLine = text.split('\n').find((line) => line.startsWith('  extend DATE'))!;
    if (provider === 'signicat') expect(extendLine).toContain('(Signicat cannot move a due date: you will be told so)');
    else expect(extendLine).not.toContain('cannot');
    expect(getAcknowledgement(world.daemon!.db, request.id)!.messageId).toBe(parsed!.messageId);
    // Once: the mail jobs of the request hold one acknowledgement, whatever the runner does next.
    await world.daemon!.jobs.idle();
    expect(acknowledgementsOf(world, request)).toHaveLength(1);
    expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'mail' && j.payload.purpose === 'acknowledgement')).toHaveLength(1);
  });

  it('never acknowledges an automatic mail (RFC 3834) nor a route with acknowledge: false', async () => {
    const world = getWorld();
    const automatic = await sendFor(world, 'RITM0010002', { headers: { 'Auto-Submitted': 'auto-generated' } });
    const quiet = await sendFor(world, 'RITM0010003', { to: 'sign+quiet@corp.example' });
    // The acknowledgement is queued in the transaction of the `sent` state: none now is none ever.
    expect(getAcknowledgement(world.daemon!.db, automatic.id)).toMatchObject({ messageId: null, skipped: expect.stringContaining('Auto-Submitted: auto-generated') });
    expect(getAcknowledgement(world.daemon!.db, quiet.id)).toMatchObject({ messageId: null, skipped: 'routes.quiet.acknowledge is false' });
    for (const r of [automatic, quiet]) expect(jobsForRequest(world.daemon!.db, r.id).filter((j) => j.kind === 'mail')).toHaveLength(0);
  });

  it('status: who has signed, answered once and noted on the record', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010004');
    const ack = await acknowledgementOf(world, request);
    // The first signer signs at the provider.
    const sent = getRequest(world.daemon!.db, request.id)!;
    if (provider === 'signicat') await signicatOf(world)!.signTask(sent.providerOrderId!, sent.providerTasks[0]!.id);
    else world.simulator.signNext(getDocuments(world.daemon!.db, request.id)[0]!.providerRef!);
    const { messageId } = await reply(world, ack, { text: '  STATUS \n\n> Sent for signature: quoted text\n' });
    const answer = await answerTo(world, messageId);
    expect(answer.parsed!.text).toContain("Ann Lee's invitation signed, 1 of 2; Bob Stone has not signed yet.");
    expect(answer.parsed!.headers.get('auto-submitted')).toBe('auto-replied');
    expect(answer.parsed!.replyTo!.value[0]!.address).toBe(ack.parsed!.replyTo!.value[0]!.address);
    await waitFor(() => notesStarting(world, 'RITM0010004', 'Status asked by').length === 1, { timeoutMs: 15_000, what: 'the status note', describe: () => notesOf(world, 'RITM0010004') });
    expect(notesStarting(world, 'RITM0010004', 'Status asked by')[0]).toContain(`Status asked by ${REQUESTER} by a reply to the acknowledgement (signrelay ${request.id}): Ann Lee's invitation signed, 1 of 2; Bob Stone has not signed yet.`);
    expect((await filed(world, messageId)).folder).toBe('Processed');
    // A question changes nothing about the state: the status field was set once, at the send.
    await world.daemon!.jobs.idle();
    expect(statusValues(world, 'RITM0010004')).toEqual(['sent']);
    expect(answersTo(world, messageId)).toHaveLength(1);
  });

  // A request mail with a Reply-To (a shared mailbox) makes that mailbox the requester; the
  // person who sent it saw the acknowledgement there and replied from her own address: filed
  // unanswered, as a stranger's (conversation review L1).
  it('a request mail with a Reply-To: the shared mailbox is acknowledged, and both it and the person who sent the request may act; nobody else', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010014', { headers: { 'Reply-To': 'HR Team <hr-team@corp.example>' } });
    expect(request.requester).toBe('hr-team@corp.example');
    const ack = await acknowledgementOf(world, request);
    expect(ack.parsed!.to).toMatchObject({ value: [{ address: 'hr-team@corp.example' }] });
    const bySender = await reply(world, ack, { text: 'status' });
    const answer = await answerTo(world, bySender.messageId);
    expect(answer.parsed!.to).toMatchObject({ value: [{ address: REQUESTER }] });
    expect(answer.parsed!.text).toContain('Bob Stone has not signed yet.');
    const byMailbox = await reply(world, ack, { from: 'HR Team <hr-team@corp.example>', text: 'status' });
    expect((await answerTo(world, byMailbox.messageId)).parsed!.to).toMatchObject({ value: [{ address: 'hr-team@corp.example' }] });
    const colleague = await reply(world, ack, { from: 'Tom Manager <tom.manager@corp.example>', text: 'status' });
    expect(await filed(world, colleague.messageId)).toMatchObject({ outcome: 'rejected', folder: 'Rejected',
      reason: `tom.manager@corp.example may not act on request ${request.id}: only its requester (hr-team@corp.example), who sent it (${REQUESTER}), or an address routes.default.reply_commands_from lists may (it lists none); filed without an answer` });
    await world.daemon!.jobs.idle();
    expect(answersTo(world, colleague.messageId)).toHaveLength(0);
  });

  it('remind: carried out where the provider reminds, refused clearly where it cannot', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010005');
    const ack = await acknowledgementOf(world, request);
    const { messageId } = await reply(world, ack, { text: 'remind\n\n-- \nHelen Officer\nPayroll' });
    const text = (await answerTo(world, messageId)).parsed!.text!;
    if (provider === 'secured-signing') {
      expect(text).toContain('Secured Signing reminded the signers who have not signed yet.');
      const doc = world.simulator.documents.get(getDocuments(world.daemon!.db, request.id)[0]!.providerRef!)!;
      expect(doc.reminders).toHaveLength(1);
      await waitFor(() => notesStarting(world, 'RITM0010005', 'Reminder sent').length === 1, { timeoutMs: 15_000, what: 'the reminder note', describe: () => notesOf(world, 'RITM0010005') });
      expect(notesStarting(world, 'RITM0010005', 'Reminder sent')[0]).toContain(`as ${REQUESTER} asked by a reply`);
    } else {
      expect(text).toContain('Signicat cannot send reminders on request');
      expect(text).toContain('Nothing was changed.');
      await world.daemon!.jobs.idle();
      expect(notesStarting(world, 'RITM0010005', 'Reminder sent')).toHaveLength(0);
    }
    expect(stateOf(world, request.id)).toBe('sent');
  });

  it('extend: carried out once where the provider moves the due date (a copy of the reply does nothing twice), refused clearly where it cannot; an earlier date changes nothing', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010006');
    const ack = await acknowledgementOf(world, request);
    const db = world.daemon!.db;
    const later = dayFromNow(40);
    const weekAfter = new Date(Date.parse(`${later}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10);
    const movedNotes = () => notesStarting(world, 'RITM0010006', 'Due date moved');
    const byDate = await reply(world, ack, { text: `Extend ${later}` });
    await world.dovecot.deliver(byDate.to, byDate.raw);
    await waitFor(() => (db.prepare("SELECT count(*) AS n FROM messages WHERE mailbox = 'requests' AND message_id = ? AND moved_at IS NOT NULL").get(byDate.messageId) as { n: number }).n === 2,
      { timeoutMs: 20_000, what: 'both copies of the reply filed' });
    const first = (await answerTo(world, byDate.messageId)).parsed!.text!;
    if (provider === 'secured-signing') {
      const reference = getDocuments(db, request.id)[0]!.providerRef!;
      const extendCalls = () => world.simulator.calls.filter((c) => c.path.endsWith('/Document/Extend'));
      expect(first).toContain(`Secured Signing moved the due date of request ${request.id} from ${request.dueDate} to ${later}.`);
      expect(getRequest(db, request.id)!.dueDate).toBe(later);
      expect(world.simulator.documents.get(reference)!.dueDate).toBe(`${later}T23:59:59.000Z`);
      const note = await waitFor(() => movedNotes()[0], { timeoutMs: 15_000, what: 'the due date note', describe: () => notesOf(world, 'RITM0010006') });
      expect(note).toContain(`Due date moved from ${request.dueDate} to ${later}, as ${REQUESTER} asked by a reply (Secured Signing, reference ${reference}; signrelay ${request.id}).`);
      // Written to the plain request address: found by its In-Reply-To, the acknowledgement's
      // Message-ID — no secret on a route without authentication, so the due date stays.
      const byThread = await reply(world, ack, { text: 'extend 7d', to: 'sign@corp.example' });
      expect((await answerTo(world, byThread.messageId)).parsed!.text).toContain(`signrelay moves a due date by reply only when the reply goes to the acknowledgement's own reply address, and yours went to another address`);
      expect(getRequest(db, request.id)!.dueDate).toBe(later);
      const byDays = await reply(world, ack, { text: 'extend 7d' });
      expect((await answerTo(world, byDays.messageId)).parsed!.text).toContain(`from ${later} to ${weekAfter}.`);
      expect(world.simulator.documents.get(reference)!.dueDate).toBe(`${weekAfter}T23:59:59.000Z`);
      await waitFor(() => movedNotes().length === 2, { timeoutMs: 15_000, what: 'the second due date note', describe: () => notesOf(world, 'RITM0010006') });
      // Earlier than the current due date (though after today), or long past: refused, nothing changed.
      for (const text of [`extend ${later}`, 'extend 2020-01-01']) {
        const earlier = await reply(world, ack, { text });
        expect((await answerTo(world, earlier.messageId)).parsed!.text).toContain(`is not later than the current due date ${weekAfter}: extend moves the due date later. Nothing was changed.`);
      }
      await world.daemon!.jobs.idle();
      expect(extendCalls().map((c) => (c.body as { DueDate: string }).DueDate)).toEqual([`${later}T23:59:59Z`, `${weekAfter}T23:59:59Z`]);
      expect(world.simulator.documents.get(reference)!.extensions).toHaveLength(2);
      expect(getRequest(db, request.id)!.dueDate).toBe(weekAfter);
      expect(movedNotes()).toHaveLength(2);
      expect(listReplyCommands(db, request.id).map((c) => [c.command, c.outcome, c.argument])).toEqual([
        ['extend', 'queued', later], ['extend', 'refused', weekAfter], ['extend', 'queued', weekAfter], ['extend', 'refused', later], ['extend', 'refused', '2020-01-01']]);
    } else {
      expect(first).toContain(`Signicat cannot move the due date of a sent request through its API, so it stays ${request.dueDate}. Nothing was changed.`);
      const byDays = await reply(world, ack, { text: 'extend 7d', to: 'sign@corp.example' });
      expect((await answerTo(world, byDays.messageId)).parsed!.text).toContain(`so it stays ${request.dueDate}.`);
      const earlier = await reply(world, ack, { text: 'extend 2020-01-01' });
      expect((await answerTo(world, earlier.messageId)).parsed!.text).toContain(`2020-01-01 is not later than the current due date ${request.dueDate}`);
      await world.daemon!.jobs.idle();
      expect(getRequest(db, request.id)!.dueDate).toBe(request.dueDate);
      expect(movedNotes()).toHaveLength(0);
      expect(listReplyCommands(db, request.id).map((c) => [c.command, c.outcome])).toEqual([['extend', 'refused'], ['extend', 'refused'], ['extend', 'refused']]);
    }
    // One answer to the reply delivered twice; the request stays out for signature and its status field is untouched.
    expect(answersTo(world, byDate.messageId)).toHaveLength(1);
    expect(stateOf(world, request.id)).toBe('sent');
    expect(statusValues(world, 'RITM0010006')).toEqual(['sent']);
  });

  it('cancel with a hostile reason, delivered twice: withdrawn once, answered once, the reason inert on the record and in the answer', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'HRC0001234', { to: 'sign+secure@corp.example', headers: { 'Authentication-Results': DKIM_PASS } });
    const ack = await acknowledgementOf(world, request);
    const first = await reply(world, ack, { text: `Cancel ${HOSTILE}`, headers: { 'Authentication-Results': DKIM_PASS } });
    await world.dovecot.deliver(first.to, first.raw);
    const answer = await answerTo(world, first.messageId);
    await waitFor(() => stateOf(world, request.id) === 'cancelled', { timeoutMs: 15_000, what: 'the request cancelled', describe: () => [answer.parsed!.text, jobsForRequest(world.daemon!.db, request.id)] });
    const note = await waitFor(() => notesStarting(world, 'HRC0001234', 'Signature request withdrawn')[0], { timeoutMs: 15_000, what: 'the withdrawal note', describe: () => notesOf(world, 'HRC0001234') });
    expect(note).toContain(`withdrawn by ${REQUESTER} by a reply to the acknowledgement`);
    expect(note).toContain(`${REQUESTER}'s reason: \u201c(code)(img src=x onerror=alert(1))(/code) (at)(sys_id:abc) (!Recipient.C,Eve,Bad,eve@evil.example) Signed by CEO`);
    expect(note).not.toMatch(/[[\]\r\n\u2028\v]|<img|second-line/);
    const said = answer.parsed!.text!;
    expect(said).toContain(`Request ${request.id} is withdrawn`);
    expect(said).toContain('Your reason: "(code)(img src=x onerror=alert(1))(/code) (at)(sys_id:abc) (!Recipient.C,Eve,Bad,eve@evil.example) Signed by CEO".');
    expect(said).not.toMatch(/\[!Recipient|\u2028|second-line/);
    // The second copy is filed as a duplicate and does nothing.
    await waitFor(() => (world.daemon!.db.prepare("SELECT count(*) AS n FROM messages WHERE mailbox = 'requests' AND message_id = ? AND moved_at IS NOT NULL").get(first.messageId) as { n: number }).n === 2,
      { timeoutMs: 20_000, what: 'both copies of the reply filed' });
    await world.daemon!.jobs.idle();
    expect(answersTo(world, first.messageId)).toHaveLength(1);
    expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'cancel')).toHaveLength(1);
    expect(notesStarting(world, 'HRC0001234', 'Signature request withdrawn')).toHaveLength(1);
    // Withdrawn at the provider: the signers can no longer sign.
    const sent = getRequest(world.daemon!.db, request.id)!;
    if (provider === 'signicat') expect(signicatOf(world)!.orders.get(sent.providerOrderId!)!.tasks.every((t) => t.status === 'DELETED')).toBe(true);
    // Secured Signing: DELETE /Document/{ref} — the document is gone (404 from now on).
    else await waitFor(() => !world.simulator.documents.has(getDocuments(world.daemon!.db, request.id)[0]!.providerRef!), { timeoutMs: 15_000, what: 'the document deleted at Secured Signing' });
    // The requester's answer is the only mail about it: no second notice.
    expect(world.smtp.messages.filter((m) => m.parsed?.subject?.startsWith('Signature request withdrawn'))).toHaveLength(0);
  });

  it('a stranger\'s reply and a forged-From reply failing authentication change nothing and are not answered', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'HRC0001235', { to: 'sign+secure@corp.example', headers: { 'Authentication-Results': DKIM_PASS } });
    const ack = await acknowledgementOf(world, request);
    const stranger = await reply(world, ack, { from: 'Mallory <mallory@evil.example>', text: 'cancel', headers: { 'Authentication-Results': 'mx.corp.example; dkim=pass header.d=evil.example' } });
    const forged = await reply(world, ack, { text: 'cancel', headers: { 'Authentication-Results': 'mx.corp.example; dkim=fail header.d=corp.example' } });
    // An out-of-office answer to the acknowledgement, from the requester: automatic, never a command, never answered.
    const away = await reply(world, ack, { text: 'cancel', headers: { 'Auto-Submitted': 'auto-replied', 'Authentication-Results': DKIM_PASS } });
    // The request token is in the PDF every signer gets: a mail to sign+TOKEN@ is no command, even showing the requester's authenticated From.
    const byToken = await reply(world, ack, { to: `sign+${request.token}@corp.example`, text: 'cancel', headers: { 'In-Reply-To': '<elsewhere@corp.example>', References: '<elsewhere@corp.example>', 'Authentication-Results': DKIM_PASS } });
    expect(await filed(world, byToken.messageId)).toMatchObject({ outcome: 'rejected', folder: 'Rejected', reason: expect.stringContaining('neither a request nor a reply command') });
    expect(await filed(world, away.messageId)).toMatchObject({ outcome: 'rejected', folder: 'Rejected', reason: expect.stringContaining('automatic mail (an automatic reply (Auto-Submitted: auto-replied))') });
    const strangerFiled = await filed(world, stranger.messageId);
    const forgedFiled = await filed(world, forged.messageId);
    expect(strangerFiled).toMatchObject({ outcome: 'rejected', folder: 'Rejected' });
    expect(strangerFiled.reason).toContain('mallory@evil.example may not act on request');
    expect(forgedFiled).toMatchObject({ outcome: 'rejected', folder: 'Rejected' });
    expect(forgedFiled.reason).toContain('is not authenticated as routes.secure.require_authentication');
    await world.daemon!.jobs.idle();
    expect(stateOf(world, request.id)).toBe('sent');
    expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'cancel')).toHaveLength(0);
    expect([...answersTo(world, stranger.messageId), ...answersTo(world, forged.messageId), ...answersTo(world, away.messageId), ...answersTo(world, byToken.messageId)]).toHaveLength(0);
  });

  it('cancel after every signer signed, before signrelay read the provider\'s word: nothing withdrawn, the signed document delivered, the requester told', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'HRC0001236', { to: 'sign+secure@corp.example', headers: { 'Authentication-Results': DKIM_PASS } });
    const ack = await acknowledgementOf(world, request);
    // The provider's mails to the return address are on their way, not read yet.
    const providerMail = world.holdMail((m) => m.envelope.rcptTo.some((r) => r.address.startsWith(`returns+${request.token}`)));
    // Signed once the provider mails its end (the simulator's signing waits for that mail to be taken).
    const signed = world.signing.signAll(simulated(world, request));
    await Promise.race([signed, providerMail.arrived]);
    const mail = await reply(world, ack, { text: 'cancel', headers: { 'Authentication-Results': DKIM_PASS } });
    const said = (await answerTo(world, mail.messageId)).parsed!.text!;
    expect(said).toContain(`Request ${request.id} could not be withdrawn: its signing had ended at ${display} already (every signer had signed). Nothing was withdrawn: the signed document goes to the record.`);
    await waitFor(() => stateOf(world, request.id) === 'delivered', { timeoutMs: 30_000, what: 'the signed document delivered', describe: () => jobsForRequest(world.daemon!.db, request.id) });
    providerMail.release();
    await signed;
    await world.daemon!.jobs.idle();
    expect(recordOf(world, 'HRC0001236').attachments.filter((a) => a.fileName.endsWith('.pdf'))).toHaveLength(1);
    expect(notesStarting(world, 'HRC0001236', 'Signature request withdrawn')).toHaveLength(0);
    const sent = simulated(world, request);
    const calls = provider === 'signicat' ? signicatOf(world)!.calls : world.simulator.calls;
    const ours = [sent.providerOrderId, ...sent.references].filter((id) => id !== null);
    expect(calls.filter((c) => c.method === 'DELETE' && ours.some((id) => c.path.includes(id)))).toEqual([]); // nothing withdrawn at the provider
    expect(world.smtp.messages.filter((m) => m.parsed?.subject?.startsWith('Signature request withdrawn'))).toHaveLength(0);
  });

  it('cancel after completion, and an unknown command: answered clearly, nothing changes', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'INC0012345', { text: 'Signer: Ann Lee <ann.lee@example.com>' });
    const ack = await acknowledgementOf(world, request);
    const unknown = await reply(world, ack, { html: '<div>please sign faster</div><blockquote>cancel</blockquote>' });
    const unknownText = (await answerTo(world, unknown.messageId)).parsed!.text!;
    expect(unknownText).toContain('The first line of your reply, "please sign faster", is not a command signrelay can carry out');
    expect(unknownText).toContain('Nothing was changed.');
    expect(unknownText).toContain('  status ');
    await signAndDeliver(world, request);
    const late = await reply(world, ack, { text: 'cancel too late' });
    expect((await answerTo(world, late.messageId)).parsed!.text).toContain(`Request ${request.id} cannot be cancelled: it is signed and on the record. Nothing was changed.`);
    await world.daemon!.jobs.idle();
    expect(stateOf(world, request.id)).toBe('delivered');
    expect(jobsForRequest(world.daemon!.db, request.id).filter((j) => j.kind === 'cancel')).toHaveLength(0);
  });

  it('explain shows the decision for a reply: which request, which command, allowed or not and why', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010002', { text: 'Signer: Ann Lee <ann.lee@example.com>' });
    const ack = await acknowledgementOf(world, request);
    const dir = mkdtempSync(join(tmpdir(), 'signrelay-explain-reply-'));
    const configFile = join(dir, 'signrelay.yaml');
    writeFileSync(configFile, stringify(world.config));
    const explain = async (spec: Parameters<typeof buildReply>[1]) => {
      const file = join(dir, `${Math.random().toString(36).slice(2)}.eml`);
      writeFileSync(file, await buildReply(ack, spec));
      let text = '';
      const out = new PassThrough().on('data', (chunk: Buffer) => { text += chunk.toString(); });
      expect(await runExplainCommand(['--config', configFile, file], { stdout: out, stderr: new PassThrough() })).toBe(0);
      return JSON.parse(text);
    };
    expect(await explain({ text: 'Cancel wrong [version]' })).toMatchObject({
      action: 'reply', reason: `cancel request ${request.id}, asked by ${REQUESTER}`,
      reply: { request: { id: request.id, state: 'sent', record: 'RITM0010002' }, command: 'cancel', reason: 'wrong [version]', allowed: true, decision: 'carried out and answered', answerTo: REQUESTER },
    });
    expect(await explain({ from: 'Mallory <mallory@evil.example>', text: 'cancel' })).toMatchObject({
      action: 'reply', reply: { request: { id: request.id }, allowed: false, decision: 'filed without an answer, nothing changed', answerTo: null },
      reason: expect.stringContaining(`mallory@evil.example may not act on request ${request.id}`),
    });
    expect(await explain({ text: 'extend 7d' })).toMatchObject(provider === 'secured-signing'
      ? { reply: { command: 'extend', allowed: true, decision: 'carried out and answered' }, reason: expect.stringContaining(`move the due date of request ${request.id} from ${request.dueDate} to `) }
      : { reply: { command: 'extend', allowed: true, decision: 'answered, nothing changed' }, reason: expect.stringContaining('cannot move the due date') });
    // Explaining changes nothing.
    expect(listReplyCommands(world.daemon!.db, request.id)).toHaveLength(0);
    expect(stateOf(world, request.id)).toBe('sent');
  });

  it('a cancel a mail client sent to the request address instead of the reply address: refused, saying to reply to the answer, and replying to it cancels', async () => {
    const world = getWorld();
    const request = await sendFor(world, 'RITM0010003');
    const ack = await acknowledgementOf(world, request);
    const misdirected = await reply(world, ack, { text: 'cancel wrong file', to: 'sign@corp.example' });
    const answer = await answerTo(world, misdirected.messageId);
    expect(answer.parsed!.text).toContain('yours went to another address (mail clients sometimes answer the From instead of the Reply-To). Reply "cancel REASON" to this mail');
    expect(answer.parsed!.text).not.toContain('require_authentication');
    expect(stateOf(world, request.id)).toBe('sent');
    // The answer carries the reply address: replying to it is the cancel it asked for.
    await reply(world, answer, { text: 'cancel wrong file' });
    await waitFor(() => stateOf(world, request.id) === 'cancelled', { timeoutMs: 20_000, what: 'the request cancelled by the reply to the answer' });
  });
});
