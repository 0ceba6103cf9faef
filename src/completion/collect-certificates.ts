// The provider's evidence of a completed signing (servicenow.attach_certificate): taken
// from the provider once the request is completed and before delivery, stored as a blob
// like the signed copy (so delivery attaches the very bytes it recorded, and a restart
// compares the record's attachments with them), and recorded per document. A provider
// that has none yet, or fails to give it (an outage, a garbled answer), is asked again on
// the job's next attempts, each failed check recorded per document; after a few, or when
// it refuses for good, the certificate is recorded as unavailable with one operator
// alert — the signed document is delivered all the same: the evidence never holds it up.
// Only credentials or settings (the operator must act; the job waits) stop it for now.
import { raiseAlert } from '../alerts/raise-alert.ts';
import { describeError, isSignrelayError, SignrelayError } from '../errors.ts';
import { JOB_MAX_ATTEMPTS } from '../jobs/retry-delay.ts';
import type { SigningProvider } from '../providers/provider.ts';
import type { BlobStore } from '../store/blobs.ts';
import { addEvent, countEventsWith } from '../store/events.ts';
import type { JobRow } from '../store/jobs.ts';
import { getDocuments, sentDocumentOf, setDocumentCertificate, type RequestRow } from '../store/requests.ts';
import type { DeliveryDeps } from './deliver-to-servicenow.ts';

/** Checks of one document's certificate that may fail before it is given up (with the runner's backoff, about a minute). */
const CERTIFICATE_CHECKS = 4;

export interface CertificateDeps extends DeliveryDeps {
  provider: SigningProvider;
  blobs: BlobStore;
}

/** Whether this request's record gets certificates: the setting, and a provider that has them. */
function wantsCertificates(deps: Pick<CertificateDeps, 'config' | 'provider'>): boolean {
  return deps.config.servicenow.attach_certificate && deps.provider.capabilities.certificate;
}

export async function collectCertificates(deps: CertificateDeps, job: JobRow, request: RequestRow): Promise<void> {
  if (!wantsCertificates(deps)) return;
  for (const doc of getDocuments(deps.db, request.id)) {
    if (doc.certificate) continue;
    let unavailable: string;
    try {
      const certificate = await deps.provider.downloadCertificate(sentDocumentOf(request, doc));
      const sha256 = deps.blobs.put(certificate.bytes);
      deps.db.transaction(() => {
        setDocumentCertificate(deps.db, request.id, doc.seq, { sha256, contentType: certificate.contentType, fileSuffix: certificate.fileSuffix });
        addEvent(deps.db, { requestId: request.id, kind: 'note', detail: { certificate: doc.seq, sha256, contentType: certificate.contentType } }, deps.now());
      })();
      continue;
    } catch (err) {
      // Credentials or settings: the job waits for the operator without spending its attempts.
      if (isSignrelayError(err) && (err.kind === 'auth' || err.kind === 'config')) throw err;
      const error = describeError(err);
      addEvent(deps.db, { requestId: request.id, kind: 'note', detail: { certificateCheck: doc.seq, error } }, deps.now());
      const checks = failedChecks(deps, request.id, doc.seq);
      // Never into the runner's last attempt: giving up would fail the request with its signed PDF.
      const again = !(isSignrelayError(err) && err.kind === 'permanent') && checks < CERTIFICATE_CHECKS && job.attempts + 1 < JOB_MAX_ATTEMPTS;
      if (again) {
        throw isSignrelayError(err) && err.kind === 'transient' ? err
          : new SignrelayError('transient', 'certificate_check_failed', `the certificate of ${doc.fileName} could not be taken (${error}); checking again later`, { cause: err });
      }
      unavailable = checks > 1 ? `${error} (after ${checks} checks)` : error;
    }
    deps.db.transaction(() => {
      setDocumentCertificate(deps.db, request.id, doc.seq, { unavailable });
      addEvent(deps.db, { requestId: request.id, kind: 'note', detail: { certificate: doc.seq, unavailable } }, deps.now());
      // A kind of its own: a missing certificate must not hold back the alert for a signed document that could not be delivered.
      raiseAlert(deps, {
        kind: 'certificate', requestId: request.id,
        subject: `no ${deps.provider.displayName} certificate for ${request.recordNumber ?? 'the record'} (request ${request.id})`,
        text: `servicenow.attach_certificate is on, but ${deps.provider.displayName} gave no completion certificate for ${doc.fileName} of request ${request.id}: ${unavailable}\n` +
          'The signed document is delivered without it. Download the certificate from the provider by hand if the record needs it.',
      });
    })();
    deps.logger.warn('no completion certificate from the provider; delivering without it', { requestId: request.id, document: doc.seq, reason: unavailable });
  }
}

/** How many times this document's certificate was asked for and not given (its `certificateCheck` notes). */
function failedChecks(deps: Pick<CertificateDeps, 'db'>, requestId: string, seq: number): number {
  return countEventsWith(deps.db, requestId, 'note', 'certificateCheck', seq);
}
