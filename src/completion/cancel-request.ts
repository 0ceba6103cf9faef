// The `cancel` job, queued by `signrelay cancel` or a requester's `cancel` reply: the request
// becomes `cancelled` (so no later job sends, delivers or reminds), then every document at
// the provider is withdrawn (withdraw-documents.ts: an intent and a result per document, every
// one tried, a signed one left at the provider), and only then are the requester, the record
// (a work note and the status field `cancelled`, through a `record` job) and a replying
// requester told — once, in one transaction, with what really became of each document: "the
// signers can no longer sign it" only when every document still out was withdrawn (multidoc
// review M1). The reason in both is made inert and bounded, like any outside text on a record
// (record-notes.ts). The job runner never runs two jobs of one request at once, so it never
// races a submit job that is uploading or sending; a submit job that has not sent yet sends
// nothing once a cancel is queued (submit-request.ts).
import { raiseAlert } from '../alerts/raise-alert.ts';
import type { Config } from '../config/schema.ts';
import { composeRequesterNotice } from '../notices/compose-notices.ts';
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import { MAX_RECORD_REASON_CHARS, recordValue } from '../servicenow/record-text.ts';
import { describeError, isSignrelayError, SignrelayError } from '../errors.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import type { Logger } from '../log.ts';
import { lostSendWait } from '../providers/lost-send-wait.ts';
import { signingOutcome, type DocumentPhase, type SigningProvider } from '../providers/provider.ts';
import { readStatuses } from '../notices/queue-signer-progress.ts';
import { queueCompletionTrigger } from '../store/completion-triggers.ts';
import { addEvent, announcedReferences, countEventsWith, hasEffect, lastEffectPhase } from '../store/events.ts';
import type { WithdrawalSummary } from '../notices/withdrawal-words.ts';
import type { DocumentStatus } from '../providers/provider.ts';
import { notWithdrawnAlert, recordEndingTold, tellBeforeWithdrawn, withdrawalResult, withdrawalSummary, withdrawDocuments } from './withdraw-documents.ts';
import { tellLeftAtProvider, tellSettledSinceTold } from './withdraw-after-refusal.ts';
import type { Db } from '../store/open-database.ts';
import { getDocuments, getRequest, recordFoundSend, transition, type RequestRow } from '../store/requests.ts';
import { canTransition } from '../store/request-states.ts';
import { otherProvidersRequest } from '../store/provider-switch.ts';
import { enqueueJob, type JobRow } from '../store/jobs.ts';
import { operatorCommand } from '../service-unit.ts';

/**
 * What the request became, for the requester whose `cancel` reply queued the job
 * (conversation/answer-cancel.ts). `ended`: the signers had finished at the provider (signed,
 * declined …) before the cancel could withdraw anything.
 */
export type CancelOutcome = { cancelled: true; noted: boolean; documents: WithdrawalSummary } | { notCancellable: true } | { ended: DocumentPhase } | { gaveUp: string };

export interface CancelDeps {
  db: Db;
  config: Config;
  provider: SigningProvider;
  logger: Logger;
  now: () => Date;
  /** Pokes the job runner after queueing work (a completion found at the provider). */
  jobsQueued?: () => void;
  /** Whether the return mailbox is read to its end now (lost-send-wait.ts). */
  returnsCaughtUp?: () => boolean;
  /** Answers a `cancel` reply inside the transaction of its outcome (the conversation is a layer above). */
  answerReply?: (payload: Record<string, unknown>, request: RequestRow, outcome: CancelOutcome, now: Date) => void;
}

export function createCancelHandler(deps: CancelDeps): JobHandler {
  const lostSend = lostSendWait({ db: deps.db, config: deps.config, now: deps.now, returnsCaughtUp: deps.returnsCaughtUp });
  const effect = (requestId: string, name: string, phase: 'intent' | 'done', detail: Record<string, unknown> = {}) =>
    addEvent(deps.db, { requestId, kind: 'effect', detail: { effect: name, phase, ...detail } }, deps.now());

  /**
   * A send whose answer was lost may have created the signing order: before withdrawing, the
   * provider is asked (with the order ids its mails to the return address named), and a send
   * it confirms is recorded, so its order is withdrawn. While the order's notice may still
   * come (the same wait as the submit job's, lost-send-wait.ts) the provider's "not known yet"
   * makes the job wait and ask again: a cancel seconds after a lost send must not give up on
   * an order created moments later. True when it stays unknown: a provider that withdraws by
   * order id (Signicat) could not withdraw it.
   */
  async function settleLostSend(requestId: string): Promise<boolean> {
    // A provider that withdraws by the document (Secured Signing) withdraws it whether or not the send happened.
    if (!deps.provider.capabilities.cancel || !deps.provider.capabilities.lostSendKnownByNotice) return false;
    const unknown = lostSend(requestId);
    if (!unknown.unknown) return false;
    const request = getRequest(deps.db, requestId)!;
    const documentReferences = getDocuments(deps.db, requestId).flatMap((d) => (d.providerRef ? [d.providerRef] : []));
    const found = await deps.provider.findSent({ documentReferences, token: request.token, announcedOrderIds: announcedReferences(deps.db, requestId), stillWaiting: unknown.stillWaiting });
    if (found) {
      deps.db.transaction(() => recordFoundSend(deps.db, requestId, found, deps.now()))();
      deps.logger.info('a cancelled request\'s lost send was found at the provider: withdrawing it', { requestId });
      return false;
    }
    return true;
  }

  /**
   * The signers may have finished at the provider before signrelay read its word of it:
   * cancelling then would tell the record and the requester "withdrawn" about a signed
   * document, and never deliver it (a withdrawal of a completed document is refused). So a
   * sent request's documents are asked about first: the phase of one that ended, if any, and
   * what each showed (a completed one is not withdrawn, withdraw-documents.ts).
   */
  async function endedAtProvider(request: RequestRow): Promise<{ ended?: DocumentPhase; known: Map<string, DocumentStatus> }> {
    const known = new Map<string, DocumentStatus>();
    if (request.state !== 'sent') return { known };
    let statuses;
    try {
      statuses = await readStatuses(deps.db, deps.provider, request);
    } catch (err) {
      // Not now (an outage, credentials): asked again with the job. Never (the provider no
      // longer knows a document): nothing there can be signed — the cancel goes on.
      if (!isSignrelayError(err) || err.kind !== 'permanent') throw err;
      deps.logger.warn('the provider could not say whether the signing ended; cancelling', { requestId: request.id, error: describeError(err) });
      return { known };
    }
    for (const status of statuses) known.set(status.reference, status);
    // As the complete job reads them: one document refused, or every one signed. One document
    // of several signed, another still open: still cancelled — the open one withdrawn, the
    // signed one left at the provider, and everyone told which is which.
    const outcome = signingOutcome(statuses);
    return outcome.ended === 'refused' || outcome.ended === 'completed' ? { ended: outcome.status.phase, known } : { known };
  }

  /** Whether this job cancelled the request (and so tells of it): marked in the transaction of the transition. */
  const cancelledBy = (requestId: string, job: JobRow) => countEventsWith(deps.db, requestId, 'effect', 'tellsJob', job.id) > 0;

  /**
   * The requester (a notice, or the answer to their reply), the record and, for a signed
   * document left at the provider, the operator: told once what the cancel did, after the
   * withdrawals (or when the job gave up on some).
   */
  function tellCancelled(job: JobRow, requestId: string): void {
    const reason = typeof job.payload.reason === 'string' ? job.payload.reason : '';
    const by = typeof job.payload.by === 'string' ? job.payload.by : undefined;
    deps.db.transaction(() => {
      const request = getRequest(deps.db, requestId)!;
      if (!cancelledBy(requestId, job) || hasEffect(deps.db, requestId, 'ending-told', 'done')) return;
      const rows = getDocuments(deps.db, requestId);
      const documents = withdrawalSummary(deps.db, requestId, rows);
      // Answered by reply (the requester gets no notice then): the one answered is who was told.
      const answeredTo = job.payload.answered === true && typeof job.payload.answerTo === 'string'
        ? { address: job.payload.answerTo, messageId: typeof job.payload.messageId === 'string' ? job.payload.messageId : null } : undefined;
      recordEndingTold(deps.db, requestId, rows, deps.now(), answeredTo);
      if (job.payload.answered !== true) enqueueMail(deps.db, { requestId, purpose: 'notice', message: composeRequesterNotice(request, 'cancelled', recordValue(reason, MAX_RECORD_REASON_CHARS), deps.config.smtp.from, rows.map((d) => d.fileName), documents) }, deps.now());
      const noted = queueRecordUpdate(deps.db, deps.config, requestId, { event: 'cancelled', reason, by, documents }, deps.now());
      deps.answerReply?.(job.payload, request, { cancelled: true, noted, documents }, deps.now());
      tellLeftAtProvider({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now, provider: deps.provider }, request, documents, 'cancelled');
    })();
  }

  /** Told now, or — told before (early, its withdrawals failing) — what an attempt since found signed told to the operator. */
  function tellCancelledOrFollowUp(job: JobRow, request: RequestRow): void {
    tellCancelled(job, request.id);
    deps.db.transaction(() => tellSettledSinceTold({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now, provider: deps.provider }, request, 'cancelled'))();
  }

  function raiseWithdrawUnknown(request: RequestRow): void {
    // Told once: a second cancel (a requester's reply after the operator's) or a retry after a crash adds nothing.
    if (lastEffectPhase(deps.db, request.id, 'withdraw') === 'unknown') return;
    deps.db.transaction(() => {
      addEvent(deps.db, { requestId: request.id, kind: 'effect', detail: { effect: 'withdraw', phase: 'unknown', reason: 'the send\'s answer was lost and the provider named no order' } }, deps.now());
      raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now }, {
        kind: 'undeliverable', requestId: request.id,
        subject: `request ${request.id} was cancelled, but its signing order may exist`,
        text: `Request ${request.id} (${request.recordNumber ?? 'no record number'}) was cancelled while the answer to its send was lost, and ${deps.provider.displayName} has named no order for it, so nothing could be withdrawn. If its signers received an invitation, withdraw the order whose client reference is ${request.token} at ${deps.provider.displayName}.`,
      });
    })();
    deps.logger.warn('cancelled, but the send\'s outcome is unknown: nothing withdrawn, the operator alerted', { requestId: request.id });
  }

  return {
    async run(job) {
      const requestId = job.requestId!;
      const reason = typeof job.payload.reason === 'string' ? job.payload.reason : '';
      // Set by a requester's `cancel` reply (conversation/): who asked, and that they were answered already.
      const by = typeof job.payload.by === 'string' ? job.payload.by : undefined;
      const answered = job.payload.answered === true;
      let known = new Map<string, DocumentStatus>();
      const request = getRequest(deps.db, requestId);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${requestId} does not exist`);
      // Queued before a switch of provider.type, or by a requester's reply: nothing is withdrawn
      // nor called withdrawn by a provider that never had the documents.
      const elsewhere = request.state === 'cancelled' ? null : otherProviderProblem(deps.db, request, deps.provider.name);
      if (elsewhere) {
        if (answered && deps.answerReply) {
          deps.db.transaction(() => deps.answerReply!(job.payload, request, { notCancellable: true }, deps.now()))();
          deps.logger.warn('cancel by reply refused: the request is out at another provider', { requestId, provider: request.provider });
          return;
        }
        throw new SignrelayError('permanent', 'not_cancellable', elsewhere);
      }
      if (request.state !== 'cancelled') {
        if (!canTransition(request.state, 'cancelled')) {
          // A requester's reply lost a race (a completion came first): they are told what it became.
          if (answered && deps.answerReply) {
            deps.db.transaction(() => deps.answerReply!(job.payload, request, { notCancellable: true }, deps.now()))();
            deps.logger.info('cancel by reply refused: the request moved on first', { requestId, state: request.state });
            return;
          }
          throw new SignrelayError('permanent', 'not_cancellable', `request ${requestId} is ${request.state} and can no longer be cancelled`);
        }
        const { ended, known: read } = await endedAtProvider(request);
        known = read;
        if (ended) {
          // The provider's word of it is on its way (a mail not read yet, a complete job between
          // looks): the complete job, made due now, records the outcome and delivers a signed document.
          deps.db.transaction(() => {
            queueCompletionTrigger(deps.db, requestId, [], deps.now());
            addEvent(deps.db, { requestId, kind: 'note', detail: { cancelTooLate: true, providerPhase: ended } }, deps.now());
            if (answered) deps.answerReply?.(job.payload, request, { ended }, deps.now());
          })();
          deps.jobsQueued?.();
          // Not a failed job: nothing went wrong, and the request goes on to its end (`requests`, `show` say where).
          deps.logger.warn(`cancel not carried out: the signing had ended at ${deps.provider.displayName} (${ended}) before it; its outcome is recorded instead${ended === 'completed' ? ' and the signed document delivered' : ''}`, { requestId, phase: ended });
          return;
        }
        deps.db.transaction(() => {
          const who = by ? `by ${by} (a reply to the acknowledgement)` : 'by an operator';
          transition(deps.db, requestId, 'cancelled', deps.now(), { reason: reason ? `cancelled ${who}: ${reason}` : `cancelled ${who}` });
          // Who tells of it, once the withdrawals are done: this job (a retry after a crash too).
          effect(requestId, 'ending-told', 'intent', { tellsJob: job.id });
        })();
      } else if (answered && deps.answerReply && !cancelledBy(requestId, job)) {
        // Cancelled already by someone else (an operator, an earlier reply): this reply is
        // still answered. Its own retry finds its reply answered and adds nothing.
        deps.db.transaction(() => deps.answerReply!(job.payload, request, { notCancellable: true }, deps.now()))();
      }
      const sendUnknown = await settleLostSend(requestId);
      const settled = getRequest(deps.db, requestId)!; // with the order a lost send turned out to have made
      const documents = getDocuments(deps.db, requestId);
      const out = documents.filter((doc) => doc.providerRef && !withdrawalResult(deps.db, requestId, doc.seq));
      if (out.length > 0 && sendUnknown) {
        // Whether the order exists is not known, and without its id it cannot be withdrawn:
        // not recorded as withdrawn, and the operator is told what to look for.
        raiseWithdrawUnknown(settled);
      } else if (out.length > 0 && !deps.provider.capabilities.cancel) {
        // The request is cancelled here and on the record; the provider cannot be told.
        deps.logger.warn(`${deps.provider.displayName} cannot withdraw a document: its signers can still sign it, and the result will not be delivered`, { requestId });
      } else {
        try {
          await withdrawDocuments(deps, settled, out, known);
        } catch (err) {
          if (tellBeforeWithdrawn(deps.db, job, deps.now())) tellCancelledOrFollowUp(job, settled);
          throw err;
        }
      }
      tellCancelledOrFollowUp(job, settled);
    },
    onGiveUp(job, reason) {
      const request = job.requestId ? getRequest(deps.db, job.requestId) : undefined;
      if (!request) return;
      if (request.state === 'cancelled') {
        // Cancelled here, and a document the provider did not withdraw: its signers may sign it.
        // Every document was tried; those without a result (withdrawn, or found signed) are
        // listed — first: a signed document's alert (tellCancelled) would hold it back.
        const left = getDocuments(deps.db, request.id).filter((doc) => doc.providerRef && !withdrawalResult(deps.db, request.id, doc.seq));
        if (left.length > 0) raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now }, notWithdrawnAlert(request, 'cancelled', left, reason, deps.provider.displayName));
        // Cancelled by this job, some documents not withdrawn: everyone is told which (the reply answered with it).
        tellCancelledOrFollowUp(job, request);
      }
      // A reply answered already (its request cancelled) is not answered again: answerReply checks the reply's row.
      if (deps.answerReply) deps.db.transaction(() => deps.answerReply!(job.payload, request, { gaveUp: reason }, deps.now()))();
      // Given up before the request was cancelled (the provider could not say whether the
      // signing had ended, for the whole of the job's attempts): nothing changed, and whoever
      // asked would otherwise learn it only from the failed jobs.
      if (canTransition(request.state, 'cancelled')) {
        const by = typeof job.payload.by === 'string' ? ` asked by ${recordValue(job.payload.by)}` : '';
        raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now: deps.now }, {
          kind: 'provider', requestId: request.id,
          subject: `request ${request.id} was not cancelled`,
          text: `The cancel of request ${request.id} (${request.recordNumber ?? 'no record number'})${by} was given up: ${reason}. Nothing was withdrawn and the request is ${request.state}: its signers can still sign, and a signed document is delivered as usual. Run \`${operatorCommand(`cancel ${request.id}`)}\` again once ${deps.provider.displayName} answers.`,
        });
      }
    },
  };
}

/**
 * Why `provider` cannot cancel `request`, or null: its documents are out at another provider
 * (a request that failed before a switch of provider.type), which alone can withdraw them —
 * this one would find nothing to withdraw and call it withdrawn, its signers still able to sign.
 */
function otherProviderProblem(db: Db, request: RequestRow, provider: string): string | null {
  const refused = otherProvidersRequest(request, provider, 'withdraw it (its signers can still sign there)');
  if (refused === null) return null;
  // Nothing out there to withdraw (it failed before its upload): the cancel is its own to do.
  return getDocuments(db, request.id).some((doc) => doc.providerRef) || request.providerOrderId ? refused : null;
}

/** What `signrelay cancel` does: queue the job (refusing what cannot be cancelled), in one transaction. */
export function queueCancel(db: Db, id: string, reason: string, now: Date, provider: string): void {
  db.transaction(() => {
    const request = getRequest(db, id);
    if (!request) throw new SignrelayError('input', 'request_unknown', `no request ${id} (see \`${operatorCommand('requests')}\`)`);
    if (!canTransition(request.state, 'cancelled')) {
      const why = request.state === 'completed' ? 'it is signed already and is being delivered' : `it is ${request.state}`;
      throw new SignrelayError('input', 'not_cancellable', `request ${id} cannot be cancelled: ${why}`);
    }
    const elsewhere = otherProviderProblem(db, request, provider);
    if (elsewhere) throw new SignrelayError('input', 'not_cancellable', elsewhere);
    enqueueJob(db, { kind: 'cancel', requestId: id, payload: reason ? { reason } : {} }, now);
    addEvent(db, { requestId: id, kind: 'note', detail: { cancelRequested: true, ...(reason ? { reason } : {}) } }, now);
  }).immediate();
}
