// A request of several documents that one refusal or expiry ended (the provider keeps a
// status per document): the others still out for signing are withdrawn, as a cancel
// withdraws them (withdraw-documents.ts), so nobody signs a document of a request that is
// over — its completion would find the request declined and go to Unmatched, the signed copy
// reaching no record (multidoc review M2). A document signed before the refusal is left at
// the provider. The complete job records the refusal (the `declined`/`expired` state) and,
// in the same transaction, queues the `withdraw` job; that job tells the requester, the record
// and the operator once the withdrawals are done (or given up), naming what was withdrawn and
// what had been signed. With nothing else out (one document, or the others ended too), the
// refusal is told at once, as before.
import { raiseAlert, type AlertDeps } from '../alerts/raise-alert.ts';
import type { Config } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import type { Logger } from '../log.ts';
import { composeRequesterNotice, composeSettledSinceNotice } from '../notices/compose-notices.ts';
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import { declinedBy, refusalDetail } from '../notices/record-notes.ts';
import { withdrawalSentences, type WithdrawalSummary } from '../notices/withdrawal-words.ts';
import { isRefusal, type DocumentStatus, type RefusalPhase, type SigningProvider } from '../providers/provider.ts';
import { recordValue } from '../servicenow/record-text.ts';
import type { Signer } from '../signer.ts';
import { addEvent, hasEffect } from '../store/events.ts';
import { enqueueJob, type JobRow } from '../store/jobs.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, getRequest, transition, type DocumentRow, type RequestRow } from '../store/requests.ts';
import { endingToldTo, notWithdrawnAdvice, notWithdrawnAlert, recordEndingTold, recordSignedNotWithdrawn, settledSinceTold, tellBeforeWithdrawn, withdrawalResult, withdrawalSummary, withdrawDocuments, type WithdrawDeps } from './withdraw-documents.ts';

export interface WithdrawAfterRefusalDeps extends WithdrawDeps {
  config: Config;
  jobsQueued?: () => void;
}

/** What the refusal was, carried by the `withdraw` job to the words it tells. */
interface Ending {
  event: 'declined' | 'expired';
  detail: string;
  by: Signer[];
  /** The documents (seq) the job withdraws or found signed: every one but those the provider ended itself. */
  documents: number[];
}

/**
 * Records a refusal the provider reports (`statuses` in the order of `documents`): the state,
 * and either the `withdraw` job for the documents still out or, with none, what everyone is
 * told. Call outside a transaction: it is one.
 */
export function recordRefusal(deps: WithdrawAfterRefusalDeps, request: RequestRow, documents: readonly DocumentRow[], statuses: readonly DocumentStatus[], refused: DocumentStatus & { phase: RefusalPhase }): void {
  const event = refused.phase === 'expired' ? 'expired' : 'declined';
  const detail = refusalDetail(refused, request.signers);
  const signed = documents.filter((_, i) => statuses[i]?.phase === 'completed');
  const open = documents.filter((doc, i) => doc.providerRef && statuses[i] && statuses[i].phase !== 'completed' && statuses[i].phase !== 'withdrawn' && !isRefusal(statuses[i].phase));
  const ending: Ending = { event, detail, by: declinedBy(request, refused), documents: [...signed, ...open].map((doc) => doc.seq) };
  deps.db.transaction(() => {
    transition(deps.db, request.id, event, deps.now(), { reason: detail });
    for (const doc of signed) recordSignedNotWithdrawn(deps.db, doc, deps.now());
    if (open.length > 0) {
      enqueueJob(deps.db, { kind: 'withdraw', requestId: request.id, payload: { ...ending } }, deps.now());
    } else {
      tellRefusal(deps, request, ending);
    }
  })();
  deps.jobsQueued?.();
}

/**
 * A signed document a request's end left at the provider (a request is attached only when
 * all its documents are signed): the operator is told where it is, to take it by hand if the
 * record needs it. Call inside the transaction that tells the rest.
 */
export function tellLeftAtProvider(deps: AlertDeps & { provider: Pick<SigningProvider, 'displayName'> }, request: RequestRow, documents: WithdrawalSummary, after: 'cancelled' | 'declined' | 'expired'): void {
  if (documents.signed.length === 0) return;
  raiseAlert(deps, {
    kind: 'undeliverable', requestId: request.id,
    subject: `request ${request.id} was ${after} with a signed document left at ${deps.provider.displayName}`,
    text: leftAtProviderText(request, documents, after, deps.provider.displayName),
  });
}

function leftAtProviderText(request: RequestRow, documents: WithdrawalSummary, after: 'cancelled' | 'declined' | 'expired', provider: string): string {
  const one = documents.signed.length === 1;
  return `Request ${request.id} (${request.recordNumber ?? 'no record number'}) was ${after} after some of its documents had been signed by every signer: ${documents.signed.map((s) => `${recordValue(s.fileName)} (reference ${recordValue(s.reference)})`).join(', ')}. signrelay attaches a request only when all its documents are signed, so ${one ? 'it stays' : 'they stay'} at ${provider}, not on the record: take ${one ? 'it' : 'them'} from ${provider} by hand if the record needs ${one ? 'it' : 'them'}. The requester and the record were told the same.`;
}

/**
 * The requester, the record and the operator told of the refusal and what became of the
 * other documents — once; `gaveUp`: the job's last failure, when it gave up on some. The
 * operator gets one alert for it: of the refusal alone, or — a signed document left at the
 * provider, or documents not withdrawn — of what they have to look at, the refusal in it (two
 * alerts of one ending held the second back for the kind's interval). Returns whether it told now.
 */
function tellRefusal(deps: WithdrawAfterRefusalDeps, request: RequestRow, ending: Ending, gaveUp?: string): boolean {
  if (hasEffect(deps.db, request.id, 'ending-told', 'done')) return false;
  const considered = new Set(ending.documents);
  const rows = getDocuments(deps.db, request.id);
  recordEndingTold(deps.db, request.id, rows.filter((doc) => considered.has(doc.seq)), deps.now());
  const documents = withdrawalSummary(deps.db, request.id, rows.filter((doc) => considered.has(doc.seq)));
  const provider = deps.provider.displayName;
  const sentences = withdrawalSentences(documents, provider, ending.event);
  enqueueMail(deps.db, { requestId: request.id, purpose: 'notice', message: composeRequesterNotice(request, ending.event, ending.detail, deps.config.smtp.from, rows.map((d) => d.fileName), documents) }, deps.now());
  queueRecordUpdate(deps.db, deps.config, request.id, { event: ending.event, detail: ending.detail, by: ending.by, documents }, deps.now());
  const refusal = sentences ? `${ending.detail} ${sentences}` : ending.detail;
  const alertDeps = { db: deps.db, config: deps.config, logger: deps.logger, now: deps.now };
  if (documents.left.length === 0 && documents.signed.length === 0) {
    raiseAlert(alertDeps, { kind: 'declined', requestId: request.id, subject: `request ${request.id} was ${ending.event}`, text: refusal });
    return true;
  }
  const notWithdrawn = documents.left.length === 0 ? ''
    : `\n${gaveUp ? `Withdrawing ${documents.left.length === 1 ? 'it' : 'them'} failed: ${gaveUp}. ${notWithdrawnAdvice(documents.left.length, provider)}` : 'signrelay goes on trying to withdraw them, and alerts again if it gives up.'}`;
  raiseAlert(alertDeps, {
    kind: 'undeliverable', requestId: request.id,
    subject: documents.left.length > 0 ? `request ${request.id} was ${ending.event}, and ${provider} has not withdrawn its other documents${gaveUp ? '' : ' yet'}`
      : `request ${request.id} was ${ending.event} with a signed document left at ${provider}`,
    text: `${refusal}${notWithdrawn}${documents.signed.length > 0 ? `\n${leftAtProviderText(request, documents, ending.event, provider)}` : ''}`,
  });
  return true;
}

/**
 * Told early (the withdrawals failing for ten minutes), a document named then as still out
 * that a later attempt found signed stays at the provider, not on the record: the operator is
 * told where it is, once (diff review 22 M1: nobody was — the job then succeeded quietly).
 * Either way whoever was told and the record, who heard "its signers may still be able to
 * sign it", learn what became of it (a notice, a work note). Call inside a transaction.
 */
export function tellSettledSinceTold(deps: AlertDeps & { provider: Pick<SigningProvider, 'displayName'> }, request: RequestRow, after: 'cancelled' | 'declined' | 'expired'): void {
  const settled = settledSinceTold(deps.db, request.id, getDocuments(deps.db, request.id), deps.now());
  if (settled.length === 0) return;
  const summary = withdrawalSummary(deps.db, request.id, settled);
  // Told "its signers may still be able to sign it": whoever was told and the record learn
  // it is over — withdrawn, or signed and left at the provider (the operator's alert says where).
  const settledNow = { withdrawn: summary.withdrawn, signed: summary.signed };
  enqueueMail(deps.db, { requestId: request.id, purpose: 'notice', message: composeSettledSinceNotice(request, after, settledNow, deps.config.smtp.from, endingToldTo(deps.db, request.id)) }, deps.now());
  queueRecordUpdate(deps.db, deps.config, request.id, { event: 'withdrawn-since', after, settled: settledNow }, deps.now());
  deps.logger.info('documents settled after the ending was told: the requester and the record are told', { requestId: request.id, withdrawn: summary.withdrawn, signed: summary.signed.map((s) => s.fileName) });
  tellLeftAtProvider(deps, request, summary, after);
}

/**
 * The refusal told now, or — told before (early, its withdrawals failing) — what an attempt
 * since found signed told to the operator (tellSettledSinceTold). Returns whether it told now.
 */
function tellOrFollowUp(deps: WithdrawAfterRefusalDeps, request: RequestRow, ending: Ending, gaveUp?: string): boolean {
  if (tellRefusal(deps, request, ending, gaveUp)) return true;
  tellSettledSinceTold({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now, provider: deps.provider }, request, ending.event);
  return false;
}

function endingOf(job: JobRow): Ending {
  const p = job.payload;
  return {
    event: p.event === 'expired' ? 'expired' : 'declined',
    detail: typeof p.detail === 'string' ? p.detail : '',
    by: Array.isArray(p.by) ? (p.by as Signer[]) : [],
    documents: Array.isArray(p.documents) ? (p.documents as unknown[]).filter((n): n is number => typeof n === 'number') : [],
  };
}

/** The `withdraw` job: the documents still out of a refused or expired request withdrawn, then everyone told. */
export function createWithdrawHandler(deps: WithdrawAfterRefusalDeps): JobHandler {
  return {
    async run(job) {
      const request = getRequest(deps.db, job.requestId!);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${job.requestId} does not exist`);
      const ending = endingOf(job);
      const documents = getDocuments(deps.db, request.id).filter((doc) => ending.documents.includes(doc.seq));
      if (deps.provider.capabilities.cancel) {
        try {
          await withdrawDocuments(deps, request, documents, new Map());
        } catch (err) {
          if (tellBeforeWithdrawn(deps.db, job, deps.now())) deps.db.transaction(() => tellOrFollowUp(deps, request, ending))();
          throw err;
        }
      } else {
        deps.logger.warn(`${deps.provider.displayName} cannot withdraw a document: the other documents of a ${ending.event} request stay out for signing`, { requestId: request.id });
      }
      deps.db.transaction(() => {
        tellOrFollowUp(deps, request, ending);
      })();
      deps.jobsQueued?.();
    },
    onGiveUp(job, reason) {
      const request = job.requestId ? getRequest(deps.db, job.requestId) : undefined;
      if (!request) return;
      const ending = endingOf(job);
      const left = getDocuments(deps.db, request.id).filter((doc) => ending.documents.includes(doc.seq) && doc.providerRef && !withdrawalResult(deps.db, request.id, doc.seq));
      deps.db.transaction(() => {
        // Told now, its one alert says it all; told before (ten minutes into the failures), this says how it ended.
        if (tellOrFollowUp(deps, request, ending, reason) || left.length === 0) return;
        raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now }, notWithdrawnAlert(request, ending.event, left, reason, deps.provider.displayName));
      })();
      deps.jobsQueued?.();
    },
  };
}
