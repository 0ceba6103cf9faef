// Per-signer notes, from reconciliation and from the status read that confirms a send whose
// answer a crash lost (submit-request.ts): each signer the provider now reports as signed, and
// whose note was not queued before, gets one "Ann Lee's invitation signed, 1 of 2" note on
// the record, with the time the provider reports for it when it reports one (signingTimes) —
// its `record` job queued in the same transaction that records the signer as noted
// (signer_notes, migration 0011), so a crash anywhere neither queues a note twice nor
// loses one; the job then writes it exactly once (record-effects.ts). Several signers
// seen at once are noted in signing order.
//
// The completion first: once the completion is on its way — a `complete` job queued (a
// completion mail, an earlier reconciliation), or the request no longer `sent` — the
// signers not noted yet are folded into the signed note, which names every signer; no
// "signed" note is written after it (update-record.ts folds a progress note still queued
// when the request has completed meanwhile).
import type { Config } from '../config/schema.ts';
import type { DocumentStatus, SigningProvider } from '../providers/provider.ts';
import type { Db } from '../store/open-database.ts';
import { jobsForRequest } from '../store/jobs.ts';
import { getDocuments, getRequest, sentDocumentOf, type RequestRow } from '../store/requests.ts';
import { notedSigners, recordSignerNoted } from '../store/signer-notes.ts';
import { queueRecordUpdate } from './queue-record-update.ts';
import { newlySigned, signerProgress, signingTimes, type ProviderSigners } from './signer-progress.ts';

/** Call with what the provider just said of each of the request's documents. Returns the number of signers noted. */
export function queueSignerProgress(db: Db, config: Config, requestId: string, statuses: ProviderSigners, now: Date): number {
  return db.transaction(() => {
    const request = getRequest(db, requestId);
    if (!request || request.state !== 'sent') return 0;
    if (jobsForRequest(db, requestId).some((j) => j.kind === 'complete' && j.state === 'pending')) return 0;
    const noted = notedSigners(db, requestId);
    const fresh = newlySigned(signerProgress(request.signers, statuses), noted);
    const times = signingTimes(request.signers, statuses, fresh.map((f) => f.position), noted);
    for (const { position, count } of fresh) {
      // Recorded even where the record hears nothing (email delivery, work_note off): a
      // later change of settings must not note old signatures.
      recordSignerNoted(db, requestId, position, now);
      queueRecordUpdate(db, config, requestId, { event: 'progress', position, count, signedAt: times.get(position) }, now);
    }
    return fresh.length;
  })();
}

/** What the provider says now of each of the request's sent documents (one status read each, in order). */
export async function readStatuses(db: Db, provider: Pick<SigningProvider, 'status'>, request: RequestRow): Promise<DocumentStatus[]> {
  const statuses: DocumentStatus[] = [];
  for (const doc of getDocuments(db, request.id)) {
    if (doc.providerRef) statuses.push(await provider.status(sentDocumentOf(request, doc)));
  }
  return statuses;
}
