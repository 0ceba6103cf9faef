// The `complete` job: what the provider says decides the outcome, not the mail. Complete →
// download the authoritative signed copy of every document (or, with
// completion.trust_attachment, take the mail's), then deliver it to ServiceNow. Declined,
// expired or rejected → one mail to the requester and a note on the record. Still being
// signed → look again later. Giving up makes the request `failed` and alerts an operator.
import { raiseAlert } from '../alerts/raise-alert.ts';
import { describeError, SignrelayError } from '../errors.ts';
import { isPdfContent } from '../intake/find-documents.ts';
import type { JobHandler } from '../jobs/job-runner.ts';
import type { SigningProvider, DocumentStatus } from '../providers/provider.ts';
import { enqueueMail } from '../jobs/send-mail.ts';
import { getDocuments, getRequest, setDocumentSigned, transition, type RequestRow } from '../store/requests.ts';
import { composeRequesterNotice, type NoticeKind } from './compose-notices.ts';
import { deliverToServiceNow, deliveryModeOf, type DeliveryDeps } from './deliver-to-servicenow.ts';
import { refusalDetail, refusalNote } from './record-notes.ts';

/** How long to wait before asking again when the mail came before the provider says Complete. */
export const NOT_COMPLETE_RECHECK_SECONDS = 60;

export interface CompleteDeps extends DeliveryDeps {
  provider: SigningProvider;
  jobsQueued?: () => void;
}

export function createCompleteHandler(deps: CompleteDeps): JobHandler {
  const alertDeps = { db: deps.db, config: deps.config, logger: deps.logger, now: deps.now };

  function notify(request: RequestRow, kind: NoticeKind, detail: string): void {
    enqueueMail(deps.db, { requestId: request.id, purpose: 'notice', message: composeRequesterNotice(request, kind, detail, deps.config.smtp.from) }, deps.now());
  }

  async function collectSigned(request: RequestRow, attachments: Array<{ fileName: string; sha256: string }>): Promise<boolean> {
    const documents = getDocuments(deps.db, request.id);
    const statuses: DocumentStatus[] = [];
    for (const doc of documents) statuses.push(await deps.provider.status(doc.providerRef!));

    const refused = statuses.find((s) => s.phase === 'declined' || s.phase === 'rejected' || s.phase === 'expired');
    if (refused) {
      const to = refused.phase === 'expired' ? 'expired' : 'declined';
      const detail = refusalDetail(refused);
      deps.db.transaction(() => {
        transition(deps.db, request.id, to, deps.now(), { reason: detail });
        notify(request, to, detail);
        raiseAlert(alertDeps, { kind: 'declined', requestId: request.id, subject: `request ${request.id} was ${to}`, text: detail });
      })();
      await noteRefusal(request, to, detail);
      return false;
    }
    const pending = statuses.find((s) => s.phase !== 'completed');
    if (pending) {
      throw new SignrelayError('transient', 'not_complete_yet',
        `request ${request.id}: the provider reports "${pending.raw}" for document ${pending.reference}; checking again later`, { retryAfterSeconds: NOT_COMPLETE_RECHECK_SECONDS });
    }

    for (const [i, doc] of documents.entries()) {
      if (doc.signedSha256) continue;
      // With trust_attachment, the mail's PDF stands in for the download (same order as the documents).
      const trusted = deps.config.completion.trust_attachment ? attachments[i] : undefined;
      const bytes = trusted ? deps.blobs.get(trusted.sha256) : await deps.provider.download(doc.providerRef!);
      if (!isPdfContent(bytes)) {
        throw new SignrelayError('permanent', 'signed_not_pdf', `request ${request.id}: the signed copy of ${doc.fileName} from the provider is not a PDF`);
      }
      setDocumentSigned(deps.db, request.id, doc.seq, deps.blobs.put(bytes));
    }
    transition(deps.db, request.id, 'completed', deps.now(), { source: deps.config.completion.trust_attachment ? 'mail attachment' : 'provider download' });
    return true;
  }

  /** A note on the record that nothing will be attached (best effort: the requester is told anyway). */
  async function noteRefusal(request: RequestRow, to: 'declined' | 'expired', detail: string): Promise<void> {
    if (deliveryModeOf(deps.config, request) !== 'rest' || !request.recordNumber) return;
    try {
      const table = request.recordTable ?? deps.config.routes[request.route]?.table;
      if (!table) return;
      const record = request.recordSysId ? { table, sysId: request.recordSysId } : await deps.servicenow.findRecord(table, request.recordNumber);
      await deps.servicenow.addWorkNote(record.table, record.sysId, refusalNote(request, to, detail));
    } catch (err) {
      deps.logger.warn('could not note the outcome on the record', { requestId: request.id, error: describeError(err) });
    }
  }

  return {
    async run(job) {
      const requestId = job.requestId!;
      let request = getRequest(deps.db, requestId);
      if (!request) throw new SignrelayError('permanent', 'request_unknown', `request ${requestId} does not exist`);
      const attachments = (job.payload.attachments as Array<{ fileName: string; sha256: string }> | undefined) ?? [];
      if (request.state === 'stamped' || request.state === 'uploaded') {
        // A completion mail overtook the submit job (it is resolving a send whose answer was lost).
        throw new SignrelayError('transient', 'not_sent_yet', `request ${requestId} is ${request.state}: waiting for its send to be confirmed`, { retryAfterSeconds: 5 });
      }
      if (request.state === 'sent' && !(await collectSigned(request, attachments))) return;
      request = getRequest(deps.db, requestId)!;
      if (request.state !== 'completed') return;
      await deliverToServiceNow(deps, request);
      deps.db.transaction(() => {
        transition(deps.db, requestId, 'delivered', deps.now());
        if (deps.config.routes[request!.route]?.notify_requester) notify(request!, 'delivered', '');
      })();
      deps.jobsQueued?.();
      deps.logger.info('request delivered', { requestId });
    },
    onGiveUp(job, reason) {
      const request = getRequest(deps.db, job.requestId!);
      if (!request || request.state === 'failed' || request.state === 'delivered') return;
      deps.db.transaction(() => {
        if (request.state === 'sent' || request.state === 'completed') transition(deps.db, request.id, 'failed', deps.now(), { reason });
        raiseAlert(alertDeps, {
          kind: 'undeliverable', requestId: request.id,
          subject: `request ${request.id} could not be delivered to ${request.recordNumber ?? 'its record'}`,
          text: `signrelay gave up on request ${request.id} (${request.recordNumber ?? 'no record number'}): ${reason}\nThe signed document, if downloaded, is kept; fix the cause and retry the request.`,
        });
      })();
      deps.jobsQueued?.();
    },
  };
}
