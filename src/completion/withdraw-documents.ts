// Withdrawing a request's documents at the provider, for the two ends that leave documents
// out for signing: a cancel (cancel-request.ts) and one document declined or expired
// (withdraw-after-refusal.ts). Its own file because both need the same rules:
// - every document is tried: a refusal of one (Secured Signing refuses to withdraw a
//   completed document) never leaves the others out for signing — the failures are
//   collected and raised once at the end, so the job retries (or gives up) on them alone;
// - one effect per document, `withdraw-N`: the intent before the call, then its result —
//   `done` (withdrawn, or the provider no longer has it) or `signed` (every signer had
//   signed it: a completed document is left at the provider, never withdrawn). A retry or a
//   restart skips a document with a result and never withdraws one twice;
// - a document the status shows completed is not asked to be withdrawn, and one whose
//   withdrawal failed is asked about once: signed a moment before (the race with the last
//   signature), or gone already, it is that, not a failure.
// withdrawalSummary turns the results into what the requester, the record and the operator
// are told (notices/withdrawal-words.ts).
import type { Alert } from '../alerts/raise-alert.ts';
import { describeError, isSignrelayError, SignrelayError, type ErrorKind } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { WithdrawalSummary } from '../notices/withdrawal-words.ts';
import type { DocumentStatus, SigningProvider } from '../providers/provider.ts';
import { recordValue } from '../servicenow/record-text.ts';
import { addEvent, lastEffectPhase, listEvents } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';
import { sentDocumentOf, type DocumentRow, type RequestRow } from '../store/requests.ts';

/**
 * How long an ended request's withdrawals may go on failing (from the first) before the
 * requester, the record and the operator are told what became of its documents as it stands —
 * those not withdrawn named as ones their signers may still sign — while the job goes on
 * trying: a blip is retried unsaid, an outage no longer keeps everyone waiting for as long as
 * the job tries.
 */
export const TELL_WITHDRAWALS_AFTER_MS = 10 * 60_000;

/**
 * Whether a job withdrawing an ended request's documents has failed long enough to tell
 * without waiting for them: counted from its first withdrawal (the earliest `withdraw-N`
 * intent since the job was queued), not from its queueing — a job that waited (a stopped
 * daemon, a provider's Retry-After) has not been failing meanwhile.
 */
export function tellBeforeWithdrawn(db: Db, job: { requestId: string | null; createdAt: string }, now: Date): boolean {
  const first = db.prepare(`SELECT min(at) FROM events WHERE request_id = ? AND kind = 'effect' AND at >= ?
      AND json_extract(detail, '$.effect') LIKE 'withdraw-%' AND json_extract(detail, '$.phase') = 'intent'`).pluck().get(job.requestId, job.createdAt) as string | null;
  return first !== null && now.getTime() - Date.parse(first) >= TELL_WITHDRAWALS_AFTER_MS;
}

export interface WithdrawDeps {
  db: Db;
  provider: SigningProvider;
  logger: Logger;
  now: () => Date;
}

/** What a document's withdrawal came to: withdrawn (or gone), or found signed and left at the provider. */
export type WithdrawalResult = 'done' | 'signed';

export function withdrawalResult(db: Db, requestId: string, seq: number): WithdrawalResult | undefined {
  const phase = lastEffectPhase(db, requestId, `withdraw-${seq}`);
  return phase === 'done' || phase === 'signed' ? phase : undefined;
}

/**
 * Records that an ended request was told (`ending-told`), with the documents still out then —
 * named to everyone as ones their signers may still sign. Told early (the withdrawals failing
 * for ten minutes), a later attempt may find one of them signed: tellSettledSinceTold's to say.
 * Call inside the transaction that tells.
 */
export function recordEndingTold(db: Db, requestId: string, documents: readonly DocumentRow[], now: Date, toldTo?: ToldTo): void {
  const out = documents.filter((doc) => doc.providerRef && !withdrawalResult(db, requestId, doc.seq)).map((doc) => doc.seq);
  addEvent(db, { requestId, kind: 'effect', detail: { effect: 'ending-told', phase: 'done', ...(out.length > 0 ? { stillOut: out } : {}), ...(toldTo ? { toldTo } : {}) } }, now);
}

/**
 * Who was told of an ending by mail when it was not the requester's notice: the person whose
 * cancel by reply was answered instead (the requester got no notice then), and the reply
 * that answer went to — what was told later goes to them, in that thread.
 */
export interface ToldTo {
  address: string;
  /** The reply's Message-ID, to thread a later mail to. */
  messageId: string | null;
}

/** Who an ending was told to (recordEndingTold), when it was someone other than the requester. */
export function endingToldTo(db: Db, requestId: string): ToldTo | undefined {
  const told = listEvents(db, requestId).find((e) => e.kind === 'effect' && e.detail?.effect === 'ending-told' && e.detail.phase === 'done');
  const to = told?.detail?.toldTo as Partial<ToldTo> | undefined;
  return typeof to?.address === 'string' ? { address: to.address, messageId: typeof to.messageId === 'string' ? to.messageId : null } : undefined;
}

/**
 * The documents the ending's telling named as still out that have a result since (withdrawn,
 * or found signed), each once: the record of what was told moves on with them.
 */
export function settledSinceTold(db: Db, requestId: string, documents: readonly DocumentRow[], now: Date): DocumentRow[] {
  const told = listEvents(db, requestId).findLast((e) => e.kind === 'effect' && e.detail?.effect === 'ending-told' && (e.detail.phase === 'done' || e.detail.phase === 'followed'));
  const named = Array.isArray(told?.detail?.stillOut) ? (told.detail.stillOut as unknown[]).filter((n): n is number => typeof n === 'number') : [];
  const settled = documents.filter((doc) => named.includes(doc.seq) && withdrawalResult(db, requestId, doc.seq) !== undefined);
  if (settled.length === 0) return [];
  const left = named.filter((seq) => !settled.some((doc) => doc.seq === seq));
  addEvent(db, { requestId, kind: 'effect', detail: { effect: 'ending-told', phase: 'followed', ...(left.length > 0 ? { stillOut: left } : {}) } }, now);
  return settled;
}

/** Records that a document was signed by every signer, so it is not withdrawn. Call inside the caller's transaction, or alone. */
export function recordSignedNotWithdrawn(db: Db, doc: DocumentRow, now: Date): void {
  addEvent(db, { requestId: doc.requestId, kind: 'effect', detail: { effect: `withdraw-${doc.seq}`, phase: 'signed', reference: doc.providerRef } }, now);
}

/**
 * Withdraws each of `documents` that is at the provider and has no result yet. `known`: the
 * statuses read a moment ago, by provider reference (a completed one is skipped). Throws
 * once, after every document was tried, when some could not be withdrawn.
 */
export async function withdrawDocuments(deps: WithdrawDeps, request: RequestRow, documents: readonly DocumentRow[], known: ReadonlyMap<string, DocumentStatus>): Promise<void> {
  const effect = (doc: DocumentRow, phase: 'intent' | 'done') =>
    addEvent(deps.db, { requestId: request.id, kind: 'effect', detail: { effect: `withdraw-${doc.seq}`, phase, reference: doc.providerRef } }, deps.now());
  const failures: Array<{ doc: DocumentRow; err: unknown }> = [];
  for (const doc of documents) {
    if (!doc.providerRef || withdrawalResult(deps.db, request.id, doc.seq)) continue;
    if (known.get(doc.providerRef)?.phase === 'completed') {
      recordSignedNotWithdrawn(deps.db, doc, deps.now());
      deps.logger.info('a signed document is not withdrawn: it stays at the provider', { requestId: request.id, reference: doc.providerRef });
      continue;
    }
    effect(doc, 'intent');
    try {
      await deps.provider.cancel(sentDocumentOf(request, doc));
    } catch (err) {
      const found = await foundAfterFailure(deps, request, doc);
      if (found === 'signed') {
        recordSignedNotWithdrawn(deps.db, doc, deps.now());
        deps.logger.warn('a document was signed before it could be withdrawn: it stays at the provider', { requestId: request.id, reference: doc.providerRef, error: describeError(err) });
        continue;
      }
      if (found !== 'done') {
        deps.logger.warn('a document could not be withdrawn at the provider; the others are tried', { requestId: request.id, reference: doc.providerRef, error: describeError(err) });
        failures.push({ doc, err });
        continue;
      }
    }
    effect(doc, 'done');
    deps.logger.info('document withdrawn at the provider', { requestId: request.id, reference: doc.providerRef });
  }
  if (failures.length > 0) throw oneError(request, failures);
}

/** After a failed withdrawal: the document signed meanwhile, gone already (withdrawn), or neither (a real failure). */
async function foundAfterFailure(deps: WithdrawDeps, request: RequestRow, doc: DocumentRow): Promise<WithdrawalResult | undefined> {
  try {
    const status = await deps.provider.status(sentDocumentOf(request, doc));
    if (status.phase === 'completed') return 'signed';
    return status.phase === 'withdrawn' ? 'done' : undefined;
  } catch (err) {
    // The provider no longer knows it: nobody can sign it (as a withdrawal's own 404).
    return isSignrelayError(err) && err.code === 'provider_not_found' ? 'done' : undefined;
  }
}

/** Whose need decides the job's next step: an operator's (credentials, settings) first, then a retry's, then a refusal's. */
const KIND_ORDER: readonly ErrorKind[] = ['auth', 'config', 'transient', 'permanent', 'input'];

function oneError(request: RequestRow, failures: ReadonlyArray<{ doc: DocumentRow; err: unknown }>): unknown {
  if (failures.length === 1) return failures[0]!.err;
  const kinds = failures.map(({ err }) => (isSignrelayError(err) ? err.kind : 'transient'));
  const kind = KIND_ORDER.find((k) => kinds.includes(k)) ?? 'transient';
  const waits = failures.flatMap(({ err }) => (isSignrelayError(err) && err.retryAfterSeconds !== undefined ? [err.retryAfterSeconds] : []));
  return new SignrelayError(kind, 'withdraw_failed',
    `request ${request.id}: ${failures.length} documents were not withdrawn — ${failures.map(({ doc, err }) => `${doc.providerRef}: ${describeError(err)}`).join('; ')}`,
    { cause: failures[0]!.err, ...(waits.length ? { retryAfterSeconds: Math.max(...waits) } : {}) });
}

/** What became of `documents` (those at the provider), from their recorded results. */
export function withdrawalSummary(db: Db, requestId: string, documents: readonly DocumentRow[]): WithdrawalSummary {
  const summary: WithdrawalSummary = { withdrawn: [], signed: [], left: [] };
  for (const doc of documents) {
    if (!doc.providerRef) continue;
    const result = withdrawalResult(db, requestId, doc.seq);
    if (result === 'done') summary.withdrawn.push(doc.fileName);
    else if (result === 'signed') summary.signed.push({ fileName: doc.fileName, reference: doc.providerRef });
    else summary.left.push(doc.fileName);
  }
  return summary;
}

/** What the operator does about documents whose withdrawal failed for good — in every alert that names them. */
export function notWithdrawnAdvice(count: number, provider: string): string {
  const [its, it] = count === 1 ? ['Its', 'it'] : ['Their', 'them'];
  return `${its} signers may still sign ${it}, and a signature there is not delivered to the record: look at ${it} at ${provider} and withdraw ${it} by hand.`;
}

/**
 * The operator's alert when an ended request's withdrawals were given up on: which documents
 * are still out, why, and what to do — one builder for a cancel and a refusal's ending.
 */
export function notWithdrawnAlert(request: RequestRow, after: 'cancelled' | 'declined' | 'expired', left: readonly DocumentRow[], reason: string, provider: string): Alert {
  const named = left.map((doc) => `${recordValue(doc.fileName)} (reference ${recordValue(doc.providerRef)})`).join(', ');
  return {
    kind: 'undeliverable', requestId: request.id,
    subject: `request ${request.id} was ${after}, but ${provider} did not withdraw ${after === 'cancelled' ? 'it' : 'its other documents'}`,
    text: `Request ${request.id} (${request.recordNumber ?? 'no record number'}) was ${after}, but withdrawing ${named} at ${provider} failed: ${reason}. ${notWithdrawnAdvice(left.length, provider)}`,
  };
}
