// One document of three declined: the `withdraw` job withdraws the others, then the
// requester, the record and the operator are told, once. An outage at the provider kept
// that telling back for as long as the job tried (up to a day): now a withdrawal still
// failing ten minutes after the refusal is told as it stands (the document not withdrawn
// named as one its signers may still sign), the job going on. And the operator gets one
// alert for one ending — a decline with a signed document left at the provider raised two,
// the second of a kind held back for its interval behind the first.
import { describe, expect, it } from 'vitest';
import { createWithdrawHandler, recordRefusal } from '../../src/completion/withdraw-after-refusal.ts';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/config-path.ts';
import { loadConfigFile } from '../../src/config/load-config.ts';
import { SignrelayError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { DocumentPhase, DocumentStatus, SentDocument, SigningProvider } from '../../src/providers/provider.ts';
import { providerTraits } from '../../src/providers/provider-traits.ts';
import { listEvents } from '../../src/store/events.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { openMemoryDatabase } from '../../src/store/open-database.ts';
import { getDocuments, getRequest, insertRequest, setDocumentReference, transition } from '../../src/store/requests.ts';

const START = new Date('2026-11-03T10:00:00Z');
const config = loadConfigFile(EXAMPLE_CONFIG_PATH, { env: {}, requireSecrets: false });

/** A sent request of one document per phase (references doc-1 …), its refusal recorded; withdrawals failing while `outage` says so. */
function refused(phases: DocumentPhase[]) {
  const db = openMemoryDatabase();
  let clock = START;
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' },
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }], dueDate: '2026-11-17',
    documents: phases.map((_, i) => ({ fileName: `doc-${i + 1}.pdf`, originalSha256: String(i + 1).repeat(64) })),
  }, START);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, START);
  phases.forEach((_, i) => setDocumentReference(db, id, i + 1, `doc-${i + 1}`));
  const state = { outage: false };
  const provider = {
    ...providerTraits({ ...config.provider, type: 'secured-signing' } as typeof config.provider),
    status: async (document: SentDocument) => ({ reference: document.reference, phase: phases[Number(document.reference.slice(4)) - 1]!, raw: 'x', sent: true, signers: [] }),
    cancel: async () => {
      if (state.outage) throw new SignrelayError('transient', 'provider_unavailable', 'HTTP 503');
    },
  } as unknown as SigningProvider;
  const deps = { db, config, provider, logger: silentLogger(), now: () => clock };
  const statuses: DocumentStatus[] = phases.map((phase, i) => ({ reference: `doc-${i + 1}`, phase, raw: phase, sent: true, signers: [{ email: 'ann.lee@example.com', hasSigned: phase === 'completed', ...(phase === 'declined' ? { declinedReason: 'wrong salary' } : {}) }] }));
  const refusal = statuses.find((s) => s.phase === 'declined')! as DocumentStatus & { phase: 'declined' };
  recordRefusal(deps, getRequest(db, id)!, getDocuments(db, id), statuses, refusal);
  const handler = createWithdrawHandler(deps);
  const job = () => jobsForRequest(db, id).find((j) => j.kind === 'withdraw')!;
  const mails = () => jobsForRequest(db, id).filter((j) => j.kind === 'mail' && j.payload.purpose === 'notice');
  return {
    id, state,
    at: (minutes: number) => { clock = new Date(START.getTime() + minutes * 60_000); },
    run: () => handler.run(job()),
    /** The withdrawals failing at minute 1 and again at 11: everyone told as it stands. */
    async toldEarly() {
      state.outage = true;
      for (const minutes of [1, 11]) {
        clock = new Date(START.getTime() + minutes * 60_000);
        await expect(handler.run(job())).rejects.toBeDefined();
      }
    },
    giveUp: (reason: string) => handler.onGiveUp!(job(), reason),
    notices: () => mails().map((j) => String((j.payload.message as { text: string }).text)),
    notes: () => jobsForRequest(db, id).filter((j) => j.kind === 'record').map((j) => String(j.payload.note ?? '')),
    alerts: () => listEvents(db, id).filter((e) => typeof e.detail?.alert === 'string').map((e) => ({ kind: String(e.detail!.alert), subject: String(e.detail!.subject), text: String(e.detail!.text) })),
  };
}

describe('the withdrawals after one document of several was declined', () => {
  it('failing at first: nothing told yet, the job tried again', async () => {
    const t = refused(['declined', 'in-progress', 'in-progress']);
    t.state.outage = true;
    t.at(1);
    await expect(t.run()).rejects.toMatchObject({ kind: 'transient' });
    expect(t.notices()).toEqual([]);
    expect(t.alerts()).toEqual([]);
  });

  it('still failing ten minutes after the decline: told once as it stands, the job going on; failing on, nobody told again; given up, the operator alerted once more', async () => {
    const t = refused(['declined', 'in-progress', 'in-progress']);
    await t.toldEarly();
    expect(t.notices()).toHaveLength(1);
    expect(t.notices()[0]).toContain('wrong salary');
    expect(t.notices()[0]).toContain('Secured Signing did not withdraw doc-2.pdf, doc-3.pdf: their signers may still be able to sign them');
    expect(t.notes()).toHaveLength(1);
    const alerts = t.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'undeliverable', subject: `request ${t.id} was declined, and Secured Signing has not withdrawn its other documents yet` });
    expect(alerts[0]!.text).toContain('signrelay goes on trying to withdraw them');

    t.at(40);
    await expect(t.run()).rejects.toBeDefined();
    expect([t.notices().length, t.alerts().length]).toEqual([1, 1]);
    t.giveUp('HTTP 503');
    expect(t.notices()).toHaveLength(1);
    expect(t.alerts()).toHaveLength(2);
    expect(t.alerts()[1]!.text).toBe(`Request ${t.id} (RITM0010001) was declined, but withdrawing doc-2.pdf (reference doc-2), doc-3.pdf (reference doc-3) at Secured Signing failed: HTTP 503. Their signers may still sign them, and a signature there is not delivered to the record: look at them at Secured Signing and withdraw them by hand.`);
  });

  // Counted from the job's queueing, a withdraw job that first ran half an hour late (the
  // daemon stopped, a provider's Retry-After) told everyone at its first failure — a blip.
  it('the ten minutes count from the first failed withdrawal, not from when the job was queued', async () => {
    const t = refused(['declined', 'in-progress']);
    t.state.outage = true;
    t.at(30);
    await expect(t.run()).rejects.toBeDefined();
    t.at(39);
    await expect(t.run()).rejects.toBeDefined();
    expect([t.notices().length, t.alerts().length]).toEqual([0, 0]);
    t.at(40);
    await expect(t.run()).rejects.toBeDefined();
    expect([t.notices().length, t.alerts().length]).toEqual([1, 1]);
  });

  it('told early, a document named then as still out found signed by a later attempt: the operator told where it is, the requester and the record what became of it, once (diff review 22 M1)', async () => {
    const phases: DocumentPhase[] = ['declined', 'in-progress'];
    const t = refused(phases);
    await t.toldEarly();
    expect(t.alerts()).toHaveLength(1);
    phases[1] = 'completed'; // its signer signs meanwhile: the next withdrawal fails, the status says signed
    t.at(30);
    await t.run();
    expect(t.alerts().map((a) => a.subject)).toEqual([
      `request ${t.id} was declined, and Secured Signing has not withdrawn its other documents yet`,
      `request ${t.id} was declined with a signed document left at Secured Signing`,
    ]);
    expect(t.alerts()[1]!.text).toContain('doc-2.pdf (reference doc-2)');
    // The requester had heard its signers might still sign it (left, last stop: only the operator heard more).
    expect(t.notices()[1]).toContain('doc-2.pdf (reference doc-2) was signed by every signer before it could be withdrawn: it stays at Secured Signing, not attached to the record');
    expect(t.notes()[1]).toContain('doc-2.pdf (reference doc-2) was signed by every signer before it could be withdrawn');
    await t.run(); // a restart's run repeats nothing
    expect(t.alerts()).toHaveLength(2);
    expect([t.notices().length, t.notes().length]).toEqual([2, 2]);
  });

  it('told early, a document found signed by an attempt that still fails on another: the operator told where it is, then (re-read A 1)', async () => {
    const phases: DocumentPhase[] = ['declined', 'in-progress', 'in-progress'];
    const t = refused(phases);
    await t.toldEarly();
    phases[1] = 'completed';
    t.at(30);
    await expect(t.run()).rejects.toBeDefined(); // doc-3 still not withdrawn
    expect(t.alerts().map((a) => a.subject)).toContain(`request ${t.id} was declined with a signed document left at Secured Signing`);
    t.giveUp('HTTP 503');
    expect(t.alerts().filter((a) => a.subject.includes('signed document left'))).toHaveLength(1);
  });

  it('told early, the outage over: the documents withdrawn since are told to the requester and the record, once; the operator, told they were not withdrawn yet, is not alerted again', async () => {
    const t = refused(['declined', 'in-progress', 'in-progress']);
    await t.toldEarly();
    t.state.outage = false;
    t.at(20);
    await t.run();
    expect(t.notices()).toHaveLength(2);
    expect(t.notices()[1]).toContain('When signrelay told you the signature request was declined, some of its documents were still out for signing. Secured Signing has withdrawn doc-2.pdf, doc-3.pdf since: their signers can no longer sign them.');
    expect(t.notes()[1]).toBe(`Signature request declined (signrelay ${t.id}): what became since of its documents still out then. Secured Signing has withdrawn doc-2.pdf, doc-3.pdf since: their signers can no longer sign them.`);
    expect(t.alerts()).toHaveLength(1);
    await t.run();
    expect([t.notices().length, t.notes().length, t.alerts().length]).toEqual([2, 2, 1]);
  });

  it('given up before anyone was told: told once, with one alert naming what to withdraw by hand', async () => {
    const t = refused(['declined', 'in-progress']);
    t.state.outage = true;
    t.at(1);
    await expect(t.run()).rejects.toBeDefined();
    t.giveUp('HTTP 503');
    expect(t.notices()).toHaveLength(1);
    expect(t.alerts()).toHaveLength(1);
    expect(t.alerts()[0]!.text).toContain('\nWithdrawing it failed: HTTP 503. Its signers may still sign it, and a signature there is not delivered to the record: look at it at Secured Signing and withdraw it by hand.');
  });

  it('with a document signed before the decline: one alert, naming the document left at the provider', async () => {
    const t = refused(['completed', 'declined', 'in-progress']);
    t.at(1);
    await t.run();
    expect(t.notices()).toHaveLength(1);
    const alerts = t.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'undeliverable', subject: `request ${t.id} was declined with a signed document left at Secured Signing` });
    expect(alerts[0]!.text).toContain('wrong salary');
    expect(alerts[0]!.text).toContain('take it from Secured Signing by hand');
  });

  it('every other document withdrawn at once: one alert of the decline', async () => {
    const t = refused(['declined', 'in-progress']);
    await t.run();
    expect(t.alerts()).toEqual([expect.objectContaining({ kind: 'declined', subject: `request ${t.id} was declined` })]);
  });
});
