// The provider's evidence of a completed signing (servicenow.attach_certificate): taken
// from the provider once the request is completed and before delivery, stored as a blob
// like the signed copy (so delivery attaches the very bytes it recorded, and a restart
// compares the record's attachments with them), and recorded per document. A provider
// that has none yet is asked again on the job's next few attempts; one that has none at
// all, or refuses for good, is recorded as unavailable with one operator alert — the
// signed document is delivered all the same: the evidence never holds it up for good.
import { raiseAlert } from '../alerts/raise-alert.ts';
import { describeError, isSignrelayError } from '../errors.ts';
import type { SigningProvider } from '../providers/provider.ts';
import type { BlobStore } from '../store/blobs.ts';
import { addEvent } from '../store/events.ts';
import type { JobRow } from '../store/jobs.ts';
import { getDocuments, sentDocumentOf, setDocumentCertificate, type RequestRow } from '../store/requests.ts';
import type { DeliveryDeps } from './deliver-to-servicenow.ts';

/** Attempts of the job on which a certificate the provider has not made yet is asked for (with the runner's backoff, about a minute). */
export const CERTIFICATE_CHECKS = 4;

export interface CertificateDeps extends DeliveryDeps {
  provider: SigningProvider;
  blobs: BlobStore;
}

/** Whether this request's record gets certificates: the setting, and a provider that has them. */
export function wantsCertificates(deps: Pick<CertificateDeps, 'config' | 'provider'>): boolean {
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
      if (!isSignrelayError(err)) throw err;
      const notYet = err.code === 'certificate_not_ready' && job.attempts + 1 < CERTIFICATE_CHECKS;
      if (err.kind !== 'permanent' && err.code !== 'certificate_not_ready') throw err; // retried, or waits for the operator (credentials)
      if (notYet) throw err;
      unavailable = describeError(err);
    }
    deps.db.transaction(() => {
      setDocumentCertificate(deps.db, request.id, doc.seq, { unavailable });
      addEvent(deps.db, { requestId: request.id, kind: 'note', detail: { certificate: doc.seq, unavailable } }, deps.now());
      raiseAlert(deps, {
        kind: 'undeliverable', requestId: request.id,
        subject: `no ${deps.provider.displayName} certificate for ${request.recordNumber ?? 'the record'} (request ${request.id})`,
        text: `servicenow.attach_certificate is on, but ${deps.provider.displayName} gave no completion certificate for ${doc.fileName} of request ${request.id}: ${unavailable}\n` +
          'The signed document is delivered without it. Download the certificate from the provider by hand if the record needs it.',
      });
    })();
    deps.logger.warn('no completion certificate from the provider; delivering without it', { requestId: request.id, document: doc.seq, reason: unavailable });
  }
}
