// The `complete` job: what the provider says decides the outcome, not the mail. Complete →
// the signed copy of every document (downloaded, or with completion.trust_attachment a
// mailed PDF that verifies against what was sent: choose-signed-copy.ts), then delivery to
// ServiceNow. Declined, expired or rejected → the documents still out withdrawn, then one
// mail to the requester and a note on the record (withdraw-after-refusal.ts). Still being signed → a few rechecks (a genuine mail may come a moment before the
// provider's status turns), then the job ends with the request still `sent`: a completion
// mail's From is forgeable and every signer can read the token, so a trigger the provider
// does not confirm must never fail the request — reconciliation carries it, and a later
// mail triggers again. Giving up for any other reason makes the request `failed` and
// alerts an operator. Each outcome queues its record update (note, status field) in the
// transaction that records it (queue-record-update.ts). With servicenow.attach_certificate
// the provider's evidence is taken before delivery too (collect-certificates.ts).
import { raiseAlert } from '../alerts/raise-alert.ts';
import { SignrelayError } from '../errors.ts';
import { pdfChunks } from '../pdf/is-pdf.ts';
import { boundedChunks } from '../http/streamed-bodies.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import type { JobRow } from '../store/jobs.ts';
import { signingOutcome, type DocumentStatus, type SigningProvider } from '../providers/provider.ts';
import { latest } from '../providers/provider-time.ts';
import { JOB_MAX_ATTEMPTS } from '../jobs/retry-delay.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import { checksSinceTrigger } from '../store/completion-triggers.ts';
import { addEvent } from '../store/events.ts';
import { getDocuments, getRequest, sentDocumentOf, setDocumentSigned, transition, type DocumentRow, type RequestRow } from '../store/requests.ts';
import { chooseSignedCopy } from './choose-signed-copy.ts';
import { collectCertificates } from './collect-certificates.ts';
import { composeRequesterNotice, type NoticeKind } from '../notices/compose-notices.ts';
import { deliverToServiceNow, type DeliveryDeps } from './deliver-to-servicenow.ts';
import { queueRecordUpdate } from '../notices/queue-record-update.ts';
import { recordRefusal } from './withdraw-after-refusal.ts';
import { operatorCommand } from '../service-unit.ts';

/** How much larger than limits.max_pdf_bytes a signed copy from the provider may be (signatures, their certificates, an audit page). */
export const SIGNED_COPY_GROWTH = 4;

/**
 * How often the provider is asked after a completion mail before the mail's claim counts as
 * unconfirmed. With the job runner's backoff (5 s base, doubling) that is about two minutes.
 */
export const NOT_COMPLETE_CHECKS = 6;

/** The request's last signature as the provider reports it: known only when every document's last one is. */
function lastSignatureOf(statuses: readonly DocumentStatus[]): Date | undefined {
  return statuses.length > 0 && statuses.every((s) => s.lastSignedAt) ? latest(statuses.map((s) => s.lastSignedAt)) : undefined;
}

export interface CompleteDeps extends DeliveryDeps {
  provider: SigningProvider;
  jobsQueued?: () => void;
}

type Collected = 'completed' | 'refused' | 'unconfirmed';

export function createCompleteHandler(deps: CompleteDeps): JobHandler {
  const alertDeps = { db: deps.db, config: deps.config, logger: deps.logger, now: deps.now };

  function notify(request: RequestRow, kind: NoticeKind, detail: string): void {
    enqueueMail(deps.db, { requestId: request.id, purpose: 'notice', message: composeRequesterNotice(request, kind, detail, deps.config.smtp.from, getDocuments(deps.db, request.id).map((d) => d.fileName)) }, deps.now());
  }

  async function collectSigned(job: JobRow, request: RequestRow): Promise<Collected> {
    const documents = getDocuments(deps.db, request.id);
    const statuses: DocumentStatus[] = [];
    for (const doc of documents) statuses.push(await deps.provider.status(sentDocumentOf(request, doc)));

    const outcome = signingOutcome(statuses);
    if (outcome.ended === 'refused') {
      // The state now; the other documents still out are withdrawn by a `withdraw` job, which then tells everyone.
      recordRefusal(deps, request, documents, statuses, outcome.status);
      return 'refused';
    }
    // Deleted at the provider (by hand, or after its days until deletion): nothing will be
    // signed or delivered; the request fails and an operator is told, as for a document the
    // provider no longer knows.
    if (outcome.ended === 'withdrawn') {
      const withdrawn = outcome.status;
      throw new SignrelayError('permanent', 'provider_withdrawn',
        `request ${request.id}: the provider reports document ${withdrawn.reference} withdrawn (${withdrawn.raw}) although signrelay did not cancel it: it was deleted at the provider, so nothing can be signed or delivered`);
    }
    if (outcome.ended === false) {
      if (!outcome.status) throw new SignrelayError('permanent', 'no_documents', `request ${request.id} has no document recorded at the provider, so there is nothing to collect`);
      return notCompleteYet(job, request, outcome.status);
    }

    const sources: string[] = [];
    for (const doc of documents) {
      if (doc.signedSha256) continue;
      sources.push(await takeSignedCopy(request, doc));
    }
    // When the provider says it was signed, beside when signrelay took the copies (the event's
    // own time): the signed note gives it (audit review M3).
    const lastSignedAt = lastSignatureOf(statuses);
    transition(deps.db, request.id, 'completed', deps.now(), {
      source: [...new Set(sources)].join(', ') || 'earlier run', ...(lastSignedAt ? { lastSignedAt: lastSignedAt.toISOString() } : {}),
    });
    return 'completed';
  }

  /** Asks again a few times; then the trigger's claim is recorded as unconfirmed and the job ends. */
  function notCompleteYet(job: JobRow, request: RequestRow, pending: DocumentStatus): Collected {
    const checks = checksSinceTrigger(deps.db, job.id, job.attempts) + 1;
    // Never into the runner's last attempt: giving up would fail the request (onGiveUp).
    if (checks < NOT_COMPLETE_CHECKS && job.attempts + 1 < JOB_MAX_ATTEMPTS) {
      throw new SignrelayError('transient', 'not_complete_yet',
        `request ${request.id}: the provider reports "${pending.raw}" for document ${pending.reference}; checking again later`);
    }
    const reason = `the completion mail's claim was not confirmed by the provider: it still reports "${pending.raw}" for document ${pending.reference} after ${checks} checks; the request stays sent and reconciliation looks after it`;
    addEvent(deps.db, {
      requestId: request.id, kind: 'note',
      detail: { completionUnconfirmed: true, reference: pending.reference, providerStatus: pending.raw, checks, source: job.payload.source ?? 'mail', reason },
    }, deps.now());
    deps.logger.warn('a completion trigger was not confirmed by the provider; the request stays sent', {
      requestId: request.id, reference: pending.reference, providerStatus: pending.raw, checks,
    });
    return 'unconfirmed';
  }

  /** One document's signed copy, stored and recorded with where it came from. Returns that source. */
  async function takeSignedCopy(request: RequestRow, doc: DocumentRow): Promise<string> {
    const source = await chooseSignedCopy(deps, request, doc);
    // A mailed copy was stored when its mail was read, and verified against what was sent;
    // a download is stored as it arrives.
    // Bounded like a PDF coming in, with room for what signing adds: a body without end (a
    // provider's fault, a proxy's) must not fill the data directory.
    const maxBytes = SIGNED_COPY_GROWTH * deps.config.limits.max_pdf_bytes;
    const sha256 = source.from === 'mail attachment' ? source.sha256 : await deps.blobs.putStream(boundedChunks(pdfChunks(
      await deps.provider.download(sentDocumentOf(request, doc)),
      // A page where the PDF should be (a proxy's, a gateway's) is one bad answer, retried with
      // the job's backoff and limit as any other call's: the signed document is still at the
      // provider. Permanent, one such page failed the delivery for good (fuzz review M3).
      () => new SignrelayError('transient', 'provider_bad_response',
        `request ${request.id}: what ${deps.provider.displayName} answered to the download of the signed copy of ${doc.fileName} is not a PDF (a proxy's page?); will retry`),
    ), maxBytes, () => new SignrelayError('permanent', 'signed_too_large',
      `request ${request.id}: the signed copy of ${doc.fileName} from ${deps.provider.displayName} is larger than ${Math.round(maxBytes / (1024 * 1024))} MB (${SIGNED_COPY_GROWTH} × limits.max_pdf_bytes): not stored; take it from ${deps.provider.displayName} by hand, or raise limits.max_pdf_bytes and retry the request`)));
    deps.db.transaction(() => {
      setDocumentSigned(deps.db, request.id, doc.seq, sha256);
      addEvent(deps.db, {
        requestId: request.id, kind: 'note',
        detail: { signedCopy: doc.seq, source: source.from, sha256, ...(source.from === 'provider download' ? { why: source.why } : {}), checked: source.checked },
      }, deps.now());
    })();
    return source.from;
  }

  return {
    async run(job) {
      const requestId = job.requestId!;
      let request = getRequest(deps.db, requestId);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${requestId} does not exist`);
      if (request.state === 'stamped' || request.state === 'uploaded') {
        // A completion mail overtook the submit job (it is resolving a send whose answer was lost).
        throw new SignrelayError('transient', 'not_sent_yet', `request ${requestId} is ${request.state}: waiting for its send to be confirmed`, { retryAfterSeconds: 5 });
      }
      if (request.state === 'sent' && (await collectSigned(job, request)) !== 'completed') return;
      request = getRequest(deps.db, requestId)!;
      if (request.state !== 'completed') return;
      // A signed copy recorded but gone from blobs/ (deleted by hand, an older blobs/ restored):
      // downloaded again, the provider still holds it — a retry's delivery has it (lifecycle review M1).
      // One already on the record is not needed again (diff review 18 M2: the provider may have deleted it since).
      for (const doc of getDocuments(deps.db, requestId)) {
        if (doc.signedSha256 && !doc.attachmentSysId && !deps.blobs.has(doc.signedSha256)) await takeSignedCopy(request, doc);
      }
      await collectCertificates(deps, job, request);
      await deliverToServiceNow(deps, request);
      deps.db.transaction(() => {
        transition(deps.db, requestId, 'delivered', deps.now());
        if (deps.config.routes[request!.route]?.notify_requester) notify(request!, 'delivered', '');
        queueRecordUpdate(deps.db, deps.config, requestId, { event: 'signed' }, deps.now());
      })();
      deps.jobsQueued?.();
      deps.logger.info('request delivered', { requestId });
    },
    onGiveUp(job, reason, code) {
      const request = getRequest(deps.db, job.requestId!);
      if (!request || request.state === 'failed' || request.state === 'delivered') return;
      deps.db.transaction(() => {
        if (request.state === 'sent' || request.state === 'completed') {
          transition(deps.db, request.id, 'failed', deps.now(), { reason });
          queueRecordUpdate(deps.db, deps.config, request.id, { event: 'failed', reason }, deps.now());
        }
        raiseAlert(alertDeps, {
          kind: 'undeliverable', requestId: request.id,
          subject: `request ${request.id} could not be delivered to ${request.recordNumber ?? 'its record'}`,
          text: `signrelay gave up on request ${request.id} (${request.recordNumber ?? 'no record number'}): ${reason}\n` +
            (code === 'blob_missing' ? `\`${operatorCommand(`retry ${request.id}`)}\` downloads the signed document again from the provider.`
              : code === 'blob_altered' ? `Once the damaged file is out of blobs/, \`${operatorCommand(`retry ${request.id}`)}\` downloads the signed document again from the provider.`
                : `The signed document, if downloaded, is kept: fix the cause, then \`${operatorCommand(`retry ${request.id}`)}\`.`),
        });
      })();
      deps.jobsQueued?.();
    },
  };
}
