// A cancel asks the provider first, and reads its answer as the complete job does: a signing
// that ended there (one document declined, rejected or expired, or every one signed) before
// signrelay heard of it is not cancelled — its complete job records the outcome — while one
// document of several signed, another still open, is cancelled.
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

async function cancelWith(phases: DocumentPhase[], statusError?: SignrelayError) {
  const db = openMemoryDatabase();
  const id = insertRequest(db, {
    token: 'abcdefghijklmnopqrst', state: 'received', route: 'default', provider: 'secured-signing', requester: 'helen.officer@corp.example',
    subject: 'Contract', messageId: '<req@corp.example>', record: { number: 'RITM0010001', table: 'sc_req_item' }, signers: [], dueDate: '2026-11-17',
    documents: phases.map((_, i) => ({ fileName: `contract-${i + 1}.pdf`, originalSha256: String(i + 1).repeat(64) })),
  }, NOW);
  for (const state of ['stamped', 'uploaded', 'sent'] as const) transition(db, id, state, NOW);
  phases.forEach((_, i) => setDocumentReference(db, id, i + 1, `doc-${i + 1}`));
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

  it.each<[string, DocumentPhase[]]>([
    ['still out for signing', ['in-progress']],
    ['one document of two signed, the other open', ['completed', 'in-progress']],
  ])('%s: cancelled and withdrawn', async (_name, phases) => {
    expect(await cancelWith(phases)).toMatchObject({ state: 'cancelled', completeQueued: false, noted: false, withdrawn: phases.map((_, i) => `doc-${i + 1}`) });
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
