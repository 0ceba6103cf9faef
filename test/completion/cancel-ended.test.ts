// A cancel asks the provider first, and reads its answer as the complete job does: a signing
// that ended there (one document declined, rejected or expired, or every one signed) before
// signrelay heard of it is not cancelled — its complete job records the outcome — while one
// document of several signed, another still open, is cancelled: the open one withdrawn, the
// signed one left at the provider and named to everyone (multidoc review M1). Every document
// is tried, the failures raised once at the end; the requester and the record are told after
// the withdrawals, once, and "can no longer sign" only when every open document was withdrawn.
import { describe, expect, it } from 'vitest';
import { createCancelHandler } from '../../src/completion/cancel-request.ts';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { SignrelayError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { DocumentPhase, SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest, type JobRow } from '../../src/store/jobs.ts';
import { openMemoryDatabase, type Db } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentReference, transition } from '../../src/store/requests.ts';

const NOW = new Date('2026-11-03T10:00:00Z');
const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });

/** A sent request of one document per phase, its references doc-1, doc-2 … */
function sentRequest(phases: DocumentPhase[]) {
  const db = openMemoryDatabase();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-11-17',
    documents: phases.map((_, i) => ({ fileName: `contract-${i + 1}.pdf`, originalSha256: String(i + 1).repeat(64) })),
  }, NOW);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, NOW);
  phases.forEach((_, i) => setDocumentReference(db, id, i + 1, `doc-${i + 1}`));
  return { db, id };
}

async function cancelWith(phases: DocumentPhase[], statusError?: SignrelayError) {
  const { db, id } = sentRequest(phases);
  const withdrawn: string[] = [];
  const provider = {
    ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
    status: async (document: SentDocument) => {
      if (statusError) throw statusError;
      const phase = phases[Number(document.reference.slice(4)) - 1]!;
      return { reference: document.reference, phase, raw: phase, sent: true, signers: [] };
    },
    cancel: async (document: SentDocument) => {
      withdrawn.push(document.reference);
    },
  } as unknown as SigningProvider;
  const handler = createCancelHandler({ db, config, provider, logger: silentLogger(), now: () => NOW });
  await handler.run({ id: 1, kind: 'cancel', requestId: id, payload: { reason: 'wrong file' } } as unknown as JobRow);
  return outcome(db, id, withdrawn);
}

/** A cancel of a sent request whose documents show `phases`, its provider refusing (or failing) withdrawals as told. */
function world(phases: DocumentPhase[], faults: { refuseCompleted?: boolean; failOnce?: string; refuse?: string; outage?: string } = {}, payload: Record<string, unknown> = {}) {
  const { db, id } = sentRequest(phases);
  const asked: string[] = [];
  let failed = false;
  let clock = NOW;
  const phaseOf = (reference: string) => phases[Number(reference.slice(4)) - 1]!;
  const provider = {
    ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
    status: async (document: SentDocument) => ({ reference: document.reference, phase: phaseOf(document.reference), raw: phaseOf(document.reference), sent: true, signers: [] }),
    cancel: async (document: SentDocument) => {
      asked.push(document.reference);
      // As Secured Signing: a completed document cannot be deleted.
      if (faults.refuseCompleted && phaseOf(document.reference) === 'completed') throw new SignrelayError('permanent', 'provider_refused', 'Document is complete and cannot be deleted');
      if (faults.failOnce === document.reference && !failed) {
        failed = true;
        throw new SignrelayError('transient', 'provider_unavailable', 'HTTP 503');
      }
      if (faults.refuse === document.reference) throw new SignrelayError('permanent', 'provider_refused', 'HTTP 400 InvalidOperation');
      if (faults.outage === document.reference) throw new SignrelayError('transient', 'provider_unavailable', 'HTTP 503');
    },
  } as unknown as SigningProvider;
  const handler = createCancelHandler({ db, config, provider, logger: silentLogger(), now: () => clock });
  const job = { id: 7, kind: 'cancel', requestId: id, payload: { reason: 'wrong file', ...payload }, createdAt: NOW.toISOString() } as unknown as JobRow;
  const mails = () => jobsForRequest(db, id).filter((j) => j.kind === 'mail');
  return {
    id, asked,
    at: (minutes: number) => { clock = new Date(NOW.getTime() + minutes * 60_000); },
    run: () => handler.run(job),
    giveUp: (reason: string) => handler.onGiveUp!(job, reason),
    state: () => getRequest(db, id)!.state,
    phases: (effect: string) => listEvents(db, id).filter((e) => e.kind === 'effect' && e.detail?.effect === effect).map((e) => e.detail!.phase),
    notices: () => mails().filter((j) => j.payload.purpose === 'notice').map((j) => String((j.payload.message as { text: string }).text)),
    noticeHeads: () => mails().filter((j) => j.payload.purpose === 'notice').map((j) => { const m = j.payload.message as { to: string; inReplyTo?: string }; return { to: m.to, inReplyTo: m.inReplyTo }; }),
    note: () => String(jobsForRequest(db, id).find((j) => j.kind === 'record')?.payload.note ?? ''),
    notes: () => jobsForRequest(db, id).filter((j) => j.kind === 'record').map((j) => String(j.payload.note ?? '')),
    alerts: () => listEvents(db, id).filter((e) => typeof e.detail?.alert === 'string').map((e) => e.detail as { subject: string; text: string }),
  };
}

function outcome(db: Db, id: string, withdrawn: string[]) {
  return {
    state: getRequest(db, id)!.state,
    withdrawn,
    completeQueued: jobsForRequest(db, id).some((j) => j.kind === 'complete' && j.state === 'pending'),
    noted: listEvents(db, id).some((e) => e.detail?.cancelTooLate === true),
  };
}

describe('a cancel of a sent request, asked of the provider first', () => {
  it.each<[string, DocumentPhase[]]>([
    ['every document signed', ['completed', 'completed']],
    ['one document declined', ['in-progress', 'declined']],
    ['one document expired', ['expired']],
  ])('%s: not cancelled, nothing withdrawn, the complete job made due', async (_name, phases) => {
    expect(await cancelWith(phases)).toEqual({ state: 'sent', withdrawn: [], completeQueued: true, noted: true });
  });

  it('still out for signing: cancelled and withdrawn', async () => {
    expect(await cancelWith(['in-progress'])).toMatchObject({ state: 'cancelled', completeQueued: false, noted: false, withdrawn: ['doc-1'] });
  });

  it('one document of two signed, the other open: the open one withdrawn, the signed one left at the provider and named to the requester, the record and the operator', async () => {
    const t = world(['completed', 'in-progress'], { refuseCompleted: true });
    await t.run();
    expect(t.state()).toBe('cancelled');
    expect(t.asked).toEqual(['doc-2']); // never asked to withdraw the signed one
    expect(t.phases('withdraw-1')).toEqual(['signed']);
    expect(t.phases('withdraw-2')).toEqual(['intent', 'done']);
    const notice = t.notices();
    expect(notice).toHaveLength(1);
    expect(notice[0]).toContain('the signers can no longer sign what was still open');
    expect(notice[0]).toContain('Signed by every signer before the withdrawal: contract-1.pdf (reference doc-1). It was not attached to the record');
    expect(notice[0]).toContain('Withdrawn from signing at Secured Signing: contract-2.pdf.');
    expect(t.note()).toContain('Signed by every signer before the withdrawal: contract-1.pdf (reference doc-1)');
    expect(t.alerts().map((a) => a.subject)).toEqual([`request ${t.id} was cancelled with a signed document left at Secured Signing`]);
  });

  it('one withdrawal fails: the others are still withdrawn, the job is retried on that one alone, and everyone is told once, after it', async () => {
    const t = world(['in-progress', 'in-progress', 'in-progress'], { failOnce: 'doc-1' });
    await expect(t.run()).rejects.toMatchObject({ kind: 'transient', code: 'provider_unavailable' });
    expect(t.asked).toEqual(['doc-1', 'doc-2', 'doc-3']);
    expect(t.state()).toBe('cancelled');
    expect(t.notices()).toHaveLength(0); // nothing said "withdrawn" while a document is still out
    await t.run();
    expect(t.asked).toEqual(['doc-1', 'doc-2', 'doc-3', 'doc-1']);
    expect(t.notices()).toHaveLength(1);
    expect(t.notices()[0]).toContain('the signers can no longer sign it');
    await t.run(); // a third run (a restart after the tell) repeats nothing
    expect(t.asked).toHaveLength(4);
    expect(t.notices()).toHaveLength(1);
    expect(t.alerts()).toHaveLength(0);
  });

  it('a withdrawal still failing ten minutes after the cancel: told as it stands, once, the job going on; given up, the operator alerted of that', async () => {
    const t = world(['in-progress', 'in-progress'], { outage: 'doc-2' });
    await expect(t.run()).rejects.toMatchObject({ kind: 'transient' });
    expect(t.notices()).toHaveLength(0);
    t.at(11);
    await expect(t.run()).rejects.toMatchObject({ kind: 'transient' });
    expect(t.notices()).toHaveLength(1);
    expect(t.notices()[0]).toContain('Secured Signing did not withdraw contract-2.pdf: its signers may still be able to sign it');
    expect(t.note()).toContain('Secured Signing did not withdraw contract-2.pdf');
    t.at(30);
    await expect(t.run()).rejects.toMatchObject({ kind: 'transient' });
    expect(t.notices()).toHaveLength(1);
    t.giveUp('HTTP 503');
    expect(t.notices()).toHaveLength(1);
    expect(t.alerts().map((a) => a.subject)).toEqual([`request ${t.id} was cancelled, but Secured Signing did not withdraw it`]);
  });

  // Told "its signers may still be able to sign it", the requester and the record heard nothing
  // more when a later attempt withdrew it — only the log did (diff review 22 L1).
  it('told early, a document withdrawn by a later attempt: the requester and the record told it is withdrawn since, once; no alert', async () => {
    const faults: { outage?: string } = { outage: 'doc-2' };
    const t = world(['in-progress', 'in-progress'], faults);
    await expect(t.run()).rejects.toBeDefined();
    t.at(11);
    await expect(t.run()).rejects.toBeDefined();
    expect([t.notices().length, t.notes().length]).toEqual([1, 1]);
    delete faults.outage;
    t.at(30);
    await t.run();
    expect(t.notices()).toHaveLength(2);
    expect(t.notices()[1]).toBe(`Hello,\n\nWhen signrelay told you the signature request was withdrawn, some of its documents were still out for signing. Secured Signing has withdrawn contract-2.pdf since: its signers can no longer sign it.\n\nRequest ${t.id}.\n\n-- \nsignrelay\n`);
    expect(t.notes()).toEqual([expect.any(String), `Signature request cancelled (signrelay ${t.id}): what became since of its documents still out then. Secured Signing has withdrawn contract-2.pdf since: its signers can no longer sign it.`]);
    expect(t.alerts()).toEqual([]);
    await t.run(); // a restart's run repeats nothing
    expect([t.notices().length, t.notes().length, t.alerts().length]).toEqual([2, 2, 0]);
  });

  // A cancel by someone's reply is answered to them, and the requester gets no notice: what
  // the withdrawals did since goes to the one who was told, in their reply's thread — not to a
  // requester who never heard of the cancel (diff review 23 L2).
  it('cancelled by a reply answered to its writer: the withdrawn-since notice goes to that writer, in their thread', async () => {
    const faults: { outage?: string } = { outage: 'doc-2' };
    const t = world(['in-progress', 'in-progress'], faults, { by: 'alice@corp.example', answered: true, answerTo: 'alice@corp.example', messageId: '<cancel-reply@corp.example>' });
    await expect(t.run()).rejects.toBeDefined();
    t.at(11);
    await expect(t.run()).rejects.toBeDefined();
    expect(t.notices()).toEqual([]); // told by the answer to her reply, not by a notice
    delete faults.outage;
    t.at(30);
    await t.run();
    expect(t.noticeHeads()).toEqual([{ to: 'alice@corp.example', inReplyTo: '<cancel-reply@corp.example>' }]);
    expect(t.notices()[0]).toContain('When signrelay told you the signature request was withdrawn, some of its documents were still out for signing.');
  });

  it('told early, a document named then as still out found signed by a later attempt: the operator told where it is, once (diff review 22 M1)', async () => {
    const phases: DocumentPhase[] = ['in-progress', 'in-progress'];
    const t = world(phases, { outage: 'doc-2' });
    await expect(t.run()).rejects.toBeDefined();
    t.at(11);
    await expect(t.run()).rejects.toBeDefined();
    expect([t.notices().length, t.alerts().length]).toEqual([1, 0]);
    phases[1] = 'completed';
    t.at(30);
    await t.run();
    expect(t.phases('withdraw-2')).toContain('signed');
    expect(t.alerts().map((a) => a.subject)).toEqual([`request ${t.id} was cancelled with a signed document left at Secured Signing`]);
    expect(t.notices()[1]).toContain('contract-2.pdf (reference doc-2) was signed by every signer before it could be withdrawn: it stays at Secured Signing');
    await t.run();
    expect(t.alerts()).toHaveLength(1);
    expect(t.notices()).toHaveLength(2);
  });

  it('given up with a signed document left and one not withdrawn: the alert that its signers may still sign comes first (a second of a kind waits its interval)', async () => {
    const t = world(['completed', 'in-progress'], { refuseCompleted: true, refuse: 'doc-2' });
    const err = await t.run().catch((e: unknown) => e);
    t.giveUp(String((err as Error).message));
    expect(t.alerts().map((a) => a.subject)).toEqual([
      `request ${t.id} was cancelled, but Secured Signing did not withdraw it`,
      `request ${t.id} was cancelled with a signed document left at Secured Signing`,
    ]);
  });

  it('withdrawals given up on: the requester and the record are told which document is still out, never "can no longer sign"', async () => {
    const t = world(['in-progress', 'in-progress'], { refuse: 'doc-2' });
    const err = await t.run().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'permanent', code: 'provider_refused' });
    expect(t.asked).toEqual(['doc-1', 'doc-2']);
    t.giveUp(String((err as Error).message));
    const notice = t.notices();
    expect(notice).toHaveLength(1);
    expect(notice[0]).not.toContain('can no longer sign');
    expect(notice[0]).toContain('Secured Signing did not withdraw contract-2.pdf: its signers may still be able to sign it');
    expect(notice[0]).toContain('Withdrawn from signing at Secured Signing: contract-1.pdf.');
    expect(t.note()).toContain('Secured Signing did not withdraw contract-2.pdf');
    expect(t.alerts().map((a) => a.subject)).toEqual([`request ${t.id} was cancelled, but Secured Signing did not withdraw it`]);
    expect(String(t.alerts()[0]!.text)).toBe(`Request ${t.id} (RITM0010001) was cancelled, but withdrawing contract-2.pdf (reference doc-2) at Secured Signing failed: ${String((err as Error).message)}. Its signers may still sign it, and a signature there is not delivered to the record: look at it at Secured Signing and withdraw it by hand.`);
  });

  it('a provider that no longer knows the document (a permanent answer): cancelled; one that cannot answer now: asked again with the job', async () => {
    expect(await cancelWith(['in-progress'], new SignrelayError('permanent', 'provider_not_found', 'no such document'))).toMatchObject({ state: 'cancelled', completeQueued: false });
    await expect(cancelWith(['in-progress'], new SignrelayError('transient', 'provider_unavailable', 'HTTP 503'))).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('a cancel that gives up while the provider cannot answer: the request stays out for signing, and the operator is alerted', async () => {
    const db = openMemoryDatabase();
    const id = insertRequest(db, {
      token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
      subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-11-17',
      documents: [{ fileName: 'contract.pdf', originalSha256: '1'.repeat(64) }],
    }, NOW);
    for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, NOW);
    setDocumentReference(db, id, 1, 'doc-1');
    const handler = createCancelHandler({ db, config, provider: providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider) as unknown as SigningProvider, logger: silentLogger(), now: () => NOW });
    handler.onGiveUp!({ id: 1, kind: 'cancel', requestId: id, payload: { reason: 'wrong file' } } as unknown as JobRow, 'gave up after 12 attempts: HTTP 503');
    expect(outcome(db, id, [])).toMatchObject({ state: 'sent', completeQueued: false });
    const alerts = listEvents(db, id).filter((e) => typeof e.detail?.alert === 'string');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.detail).toMatchObject({ alert: 'provider', subject: `request ${id} was not cancelled` });
    expect(String(alerts[0]!.detail!.text)).toContain('gave up after 12 attempts: HTTP 503');
    expect(String(alerts[0]!.detail!.text)).toContain(`signrelay cancel ${id}`);
  });
});
