// The `submit` job: upload every stamped document, then send them for signing. Each
// external effect is recorded as an intent before it happens and as done after, in the
// same transaction as the state change; a retry after a crash skips what is done and, for
// a send whose intent has no result, asks the provider whether it happened before sending.
import { raiseAlert } from '../alerts/raise-alert.ts';
import { composeRequesterNotice } from '../notices/compose-notices.ts';
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import { queueSignerProgress, readStatuses } from '../notices/queue-signer-progress.ts';
import type { Config } from '../config/schema.ts';
import { describeError, isOutcomeUnknown, isSignrelayError, SignrelayError } from '../errors.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import type { Logger } from '../log.ts';
import { lostSendWait } from '../providers/lost-send-wait.ts';
import type { SendResult, SigningProvider } from '../providers/provider.ts';
import type { BlobStore } from '../store/blobs.ts';
import { addEvent, announcedReferences, hasEffect, lastEffectPhase, listEvents } from '../store/events.ts';
import type { Db } from '../store/open-database.ts';
import { hasPendingJob } from '../store/jobs.ts';
import { getDocuments, getRequest, recordFoundSend, setDocumentReference, setDueDate, setSendResult, transition, type DocumentRow, type RequestRow } from '../store/requests.ts';
import { dueForSend } from './parse-due.ts';
import { DAY_MS, dueMoment } from '../time.ts';
import { returnAddress } from '../pdf/build-tags.ts';
import { defuseLinks, quoteOutside } from '../outside-text.ts';
import { queueAcknowledgement } from './queue-acknowledgement.ts';
import { operatorCommand } from '../service-unit.ts';

/** How much of a request's subject names its package at the provider (when no record does). */
const MAX_PACKAGE_SUBJECT_CHARS = 120;

export interface SubmitDeps {
  db: Db;
  config: Config;
  jobsQueued?: () => void;
  blobs: BlobStore;
  provider: SigningProvider;
  logger: Logger;
  now?: () => Date;
  /** Whether the return mailbox is read to its end now (lost-send-wait.ts). */
  returnsCaughtUp?: () => boolean;
}

/** An upload older than the provider's upload lifetime less this is renewed before a send. */
const UPLOAD_RENEW_MARGIN_MS = 5 * 60_000;

export function createSubmitHandler(deps: SubmitDeps): JobHandler {
  const now = deps.now ?? (() => new Date());
  const lostSend = lostSendWait({ db: deps.db, config: deps.config, now, returnsCaughtUp: deps.returnsCaughtUp });

  const effect = (requestId: string, name: string, phase: 'intent' | 'done' | 'failed', detail: Record<string, unknown> = {}) =>
    addEvent(deps.db, { requestId, kind: 'effect', detail: { effect: name, phase, ...detail } }, now());

  /**
   * An operator cancelled the request before it was sent (`signrelay cancel`, given while
   * this job waited its turn or uploaded): nothing more is done here — no signer is invited
   * to withdraw a moment later — and the cancel job, next in line, ends the request and
   * withdraws what was uploaded.
   */
  const cancelQueued = (requestId: string): boolean => {
    if (!hasPendingJob(deps.db, requestId, 'cancel')) return false;
    deps.logger.info('not sent: a cancel of the request is queued', { requestId });
    return true;
  };

  async function uploadOne(request: RequestRow, doc: DocumentRow): Promise<void> {
    if (!doc.stampedSha256 || !doc.uploadName) throw new SignrelayError('permanent', 'not_stamped', `request ${request.id}: document ${doc.seq} was never stamped`);
    // Sent from the blob store's file as it is read: a 20 MB PDF is never in memory for it, and
    // hashed as it goes — a file changed on disk is not sent as the recorded stamped copy
    // (audit review L3). Found before the intent is recorded: a file that is gone starts no upload.
    const bytes = deps.blobs.file(doc.stampedSha256, (problem, what) => (what === 'missing'
      ? `the stamped PDF ${problem}: request ${request.id} cannot be sent — restore the file, or ask ${request.requester} to send the mail again`
      : `the stamped PDF ${problem}. It was not sent: the signers would have been sent another file than the one request ${request.id} records. ` +
        `Copy that file back from a backup of the data dir's blobs/ (\`sha256sum\` of it must print its name) and \`${operatorCommand(`retry ${request.id}`)}\`, ` +
        `or ask ${request.requester} to send the mail again (a new request is stamped anew); and check the disk`));
    effect(request.id, 'upload', 'intent', { seq: doc.seq });
    let reference: string;
    try {
      ({ reference } = await deps.provider.upload({ fileName: doc.uploadName, bytes, clientReference: `${request.token}-${doc.seq}` }));
    } catch (err) {
      // Known not to be stored — refused by the provider, or stopped by the file's check before
      // its end — it is recorded as failed, as a refused send is; a lost answer keeps its intent.
      if (isSignrelayError(err) && err.kind !== 'transient' && !isOutcomeUnknown(err)) effect(request.id, 'upload', 'failed', { seq: doc.seq, error: err.code });
      throw err;
    }
    deps.db.transaction(() => {
      setDocumentReference(deps.db, request.id, doc.seq, reference);
      effect(request.id, 'upload', 'done', { seq: doc.seq, reference });
    })();
    deps.logger.info('document uploaded', { requestId: request.id, seq: doc.seq, reference });
  }

  async function upload(requestId: string): Promise<void> {
    const request = getRequest(deps.db, requestId)!;
    for (const doc of getDocuments(deps.db, requestId)) {
      if (!doc.providerRef) await uploadOne(request, doc);
    }
    transition(deps.db, requestId, 'uploaded', now());
  }

  /**
   * A provider that keeps uploads only for a while (Signicat: 30 minutes) would refuse, or
   * lose, an order on a document it deleted: one uploaded too long ago — the submit resumed
   * after a crash, a backoff, credentials being fixed — is uploaded again first.
   */
  async function renewExpiredUploads(request: RequestRow): Promise<void> {
    const lifetime = deps.provider.capabilities.uploadLifetimeMs;
    if (lifetime === null) return;
    const uploadedAt = new Map<number, number>();
    for (const event of listEvents(deps.db, request.id)) {
      if (event.kind === 'effect' && event.detail?.effect === 'upload' && event.detail.phase === 'done') uploadedAt.set(event.detail.seq as number, Date.parse(event.at));
    }
    for (const doc of getDocuments(deps.db, request.id)) {
      const at = uploadedAt.get(doc.seq);
      if (at === undefined || now().getTime() - at > lifetime - UPLOAD_RENEW_MARGIN_MS) await uploadOne(request, doc);
    }
  }

  /**
   * A send confirmed after a crash may be minutes old: whoever signed meanwhile is noted now
   * (queue-signer-progress.ts), not left to a reconciliation that may come only after the
   * last signature and fold them into the signed note. A failed read changes nothing:
   * reconciliation asks again.
   */
  async function noteEarlySignatures(requestId: string): Promise<void> {
    try {
      const statuses = await readStatuses(deps.db, deps.provider, getRequest(deps.db, requestId)!);
      if (queueSignerProgress(deps.db, deps.config, requestId, statuses, now()) > 0) deps.jobsQueued?.();
    } catch (err) {
      deps.logger.warn('could not read who has signed the confirmed send yet; reconciliation will', { requestId, error: describeError(err) });
    }
  }

  async function send(requestId: string): Promise<void> {
    let request = getRequest(deps.db, requestId)!;
    const sendInput = () => {
      const references = getDocuments(deps.db, requestId).map((d) => d.providerRef!);
      return { documentReferences: references, token: request.token };
    };
    const unknown = lostSend(requestId);
    const findEarlierSend = async (stillWaiting: boolean): Promise<boolean> => {
      const found = await deps.provider.findSent({ ...sendInput(), announcedOrderIds: announcedReferences(deps.db, requestId), stillWaiting });
      if (!found) return false;
      deps.db.transaction(() => {
        recordFoundSend(deps.db, requestId, found, now());
        transition(deps.db, requestId, 'sent', now());
        queueRecordUpdate(deps.db, deps.config, requestId, { event: 'sent' }, now());
        queueAcknowledgement(deps.db, deps.config, deps.provider, requestId, now(), found.closesAt);
      })();
      deps.logger.info('earlier send confirmed by the provider', { requestId });
      await noteEarlySignatures(requestId);
      return true;
    };
    // A send was attempted and its outcome is unknown: ask before sending again.
    if (unknown.unknown && await findEarlierSend(unknown.stillWaiting)) return;
    await renewExpiredUploads(request);
    request = getRequest(deps.db, requestId)!;
    const wholeDays = deps.provider.capabilities.closes === 'whole-days-from-send';
    const due = dueForSend(request.dueDate, now(), wholeDays ? DAY_MS : undefined);
    if (due !== request.dueDate) {
      // Its date passed (or ends within the hour) before it could be sent: the signers get a
      // day, and the acknowledgement and the record say the date they have.
      const asked = request.dueDate;
      deps.db.transaction(() => {
        setDueDate(deps.db, requestId, due, now());
        const why = `the due date had passed, or ended within ${wholeDays ? `a day (${deps.provider.displayName} needs one to sign)` : 'the hour'}, when the request could be sent`;
        addEvent(deps.db, { requestId, kind: 'note', detail: { dueMoved: { from: asked, to: due, why } } }, now());
      })();
      deps.logger.warn('the due date had passed (or left too little time to sign) before the request could be sent: sent with the next day\'s', { requestId, asked, due });
      request = getRequest(deps.db, requestId)!;
    }
    // Checked with the intent, in one synchronous step: a cancel queued while this job uploaded.
    if (cancelQueued(requestId)) return;
    const { documentReferences } = sendInput();
    effect(requestId, 'send', 'intent', { references: documentReferences });
    // The package's name reaches every signer in the provider's invitation: the subject, outside
    // text, goes as one bounded line with its links made inert, as signer names do.
    const record = request.recordNumber ?? request.recordSysId ?? quoteOutside(defuseLinks(request.subject), MAX_PACKAGE_SUBJECT_CHARS);
    const route = deps.config.routes[request.route];
    let result: SendResult;
    try {
      result = await deps.provider.send({
        documentReferences,
        token: request.token,
        returnAddress: returnAddress(deps.config.mailboxes.returns.address, request.token),
        dueAt: dueMoment(request.dueDate),
        // A prepared document's own tags name its signers: the provider reads them there.
        signers: request.signersFrom === 'pdf' ? [] : request.signers,
        packageName: record ? `${record} (signrelay ${request.id})` : `signrelay ${request.id}`,
        route: { signatureMethods: route?.signature_methods, language: route?.language, reminderDaysBefore: route?.reminder_days_before },
      });
    } catch (err) {
      // A send refused after one whose answer was lost — the provider's word that it "has
      // already been sent", when its status had not yet shown the first — is asked about once
      // more before it counts: a request whose signers were invited must not fail.
      if (unknown.unknown && isSignrelayError(err) && err.kind === 'permanent' && await findEarlierSend(false)) {
        deps.logger.warn('the send was refused, but the provider now shows the earlier one: it stands', { requestId, error: describeError(err) });
        return;
      }
      // An answer that refuses (or settings that never let it leave) sent nothing: the
      // outcome is known. A timeout, a dropped connection or a 5xx leaves it unknown.
      if (isSignrelayError(err) && err.kind !== 'transient') effect(requestId, 'send', 'failed', { error: err.code });
      throw err;
    }
    deps.db.transaction(() => {
      setSendResult(deps.db, requestId, result);
      effect(requestId, 'send', 'done', { references: documentReferences, orderId: result.orderId ?? undefined });
      transition(deps.db, requestId, 'sent', now());
      queueRecordUpdate(deps.db, deps.config, requestId, { event: 'sent' }, now());
      queueAcknowledgement(deps.db, deps.config, deps.provider, requestId, now(), result.closesAt);
    })();
    // Only Signicat has an order id: a Secured Signing line said orderId=undefined.
    deps.logger.info('request sent for signing', { requestId, references: documentReferences, ...(result.orderId ? { orderId: result.orderId } : {}) });
  }

  return {
    async run(job) {
      const requestId = job.requestId!;
      const request = getRequest(deps.db, requestId);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${requestId} does not exist`);
      if (cancelQueued(requestId)) return;
      if (request.state === 'stamped') await upload(requestId);
      if (getRequest(deps.db, requestId)!.state === 'uploaded') await send(requestId);
    },
    onGiveUp(job, reason, code) {
      const requestId = job.requestId!;
      const request = getRequest(deps.db, requestId);
      if (!request || request.state === 'sent' || request.state === 'failed') return;
      const why = `submitting to the provider failed: ${reason}`;
      // A send whose outcome was never learnt may have invited the signers: the requester is
      // not told "not sent" then, and the operator is told to look before retrying.
      const sendUnknown = lastEffectPhase(deps.db, requestId, 'send') === 'intent';
      deps.db.transaction(() => {
        transition(deps.db, requestId, 'failed', now(), { reason: why });
        queueRecordUpdate(deps.db, deps.config, requestId, { event: 'failed', reason: why }, now());
        if (!sendUnknown) enqueueMail(deps.db, { requestId, purpose: 'notice', message: composeRequesterNotice(request, 'failed', '', deps.config.smtp.from, getDocuments(deps.db, requestId).map((d) => d.fileName)) }, now());
        raiseAlert({ db: deps.db, config: deps.config, logger: deps.logger, now }, {
          kind: 'provider', requestId, subject: `request ${requestId} could not be sent for signature`,
          text: `signrelay gave up sending request ${requestId} (${request.recordNumber ?? 'no record'}, from ${request.requester}) to ${deps.provider.displayName}: ${reason}\n` +
            (sendUnknown
              ? `Whether the send went through is unknown (its answer was lost): the signers may have been invited. The requester was not told. \`${operatorCommand(`retry ${request.id}`)}\` asks ${deps.provider.displayName} before sending again.`
              : code === 'blob_missing' ? 'A retry cannot send it: restore the stamped PDF, or have the request mailed again.'
                : code === 'blob_altered' ? 'A retry cannot send it as it is: restore the stamped PDF from a backup of blobs/, or have the request mailed again.' : `The stamped PDF is kept: fix the cause, then \`${operatorCommand(`retry ${request.id}`)}\`.`),
        });
      })();
      deps.jobsQueued?.();
      deps.logger.error('request failed', { requestId, reason: why });
    },
  };
}
