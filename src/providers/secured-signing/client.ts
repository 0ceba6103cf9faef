// The Secured Signing implementation of SigningProvider (SECURED-SIGNING.md "Endpoints
// used"): upload a tagged PDF, send it with SmartTag/Send, poll its status, download the
// signed copy and its completion certificate, remind the signers, move the due date,
// withdraw, read the account. Request mechanics (signatures, OAuth, timeouts, error classes) live in call-api.ts, TLS trust in http/trusting-fetch.ts; this
// file knows the endpoints, their JSON, and which calls change something (upload, send,
// reminder, extend: a lost answer leaves their outcome unknown, for the caller to resolve).
import type { SecuredSigningConfig } from '../../config/schema.ts';
import type { AccountInfo, DocumentStatus, SendInput, SendResult, SentDocument, SigningCertificate, SigningProvider, UploadInput } from '../provider.ts';
import { callApi, type ApiAnswer, type ApiContext, type ApiLogger } from './call-api.ts';
import { badResponse } from './classify-error.ts';
import { isSignrelayError, SignrelayError } from '../../errors.ts';
import { quoteOutside } from '../../outside-text.ts';
import { isPdfContent } from '../../pdf/is-pdf.ts';
import { jsonBody } from '../../http/network-failure.ts';
import { nonEmpty } from '../../http/streamed-bodies.ts';
import { trustingFetch } from '../../http/trusting-fetch.ts';
import { documentStatusFrom } from './document-status.ts';
import { resolveEndpoints } from './endpoints.ts';
import { createTokenManager, type TokenManager, type TokenStore } from './oauth.ts';
import { securedSigningTraits } from './traits.ts';

/** The longest a signer's first or last name is sent. */
const MAX_NAME_CHARS = 80;

export interface SecuredSigningClientOptions {
  config: SecuredSigningConfig;
  /** Where OAuth2 tokens are kept; a rotated refresh token must survive a restart. */
  tokenStore: TokenStore;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  now?: () => number;
  logger?: ApiLogger;
}

export interface SecuredSigningClient extends SigningProvider {
  /** The OAuth2 token manager (null without OAuth); `signrelay authorize` uses exchangeCode. */
  readonly tokens: TokenManager | null;
}

const CONTENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** MaxUploadSize's unit is undocumented (unconfirmed): small numbers are read as MiB. */
const MAX_UPLOAD_MIB_THRESHOLD = 1024;

/** The answer's JSON; anything else is a bad response — for an `effect` call, one whose outcome is unknown. */
function parseJson(answer: ApiAnswer, effect = false): unknown {
  return jsonBody(answer, (problem, cause) => badResponse(answer.what, problem, cause, { effect }));
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

export function createSecuredSigningClient(options: SecuredSigningClientOptions): SecuredSigningClient {
  const { config } = options;
  const endpoints = resolveEndpoints(config);
  const fetchFn = trustingFetch(options.fetch ?? globalThis.fetch, config, 'provider');
  const now = options.now ?? Date.now;
  const timeoutMs = config.timeout_seconds * 1000;
  const tokens = config.oauth
    ? createTokenManager({
      oauthBase: endpoints.oauthBase, apiKey: config.api_key, apiSecret: config.api_secret, store: options.tokenStore,
      initialRefreshToken: config.refresh_token, fetch: fetchFn, now, timeoutMs,
    })
    : null;
  const ctx: ApiContext = {
    apiBase: endpoints.apiBase, apiKey: config.api_key, apiSecret: config.api_secret, referer: config.referer,
    tokens, fetch: fetchFn, now, timeoutMs, logger: options.logger,
  };

  async function status(reference: string): Promise<DocumentStatus> {
    const operation = `read the status of document ${reference}`;
    const answer = await callApi(ctx, { operation, method: 'GET', path: `/Document/Status/${segment(reference)}` });
    const document = parseJson(answer);
    // An answer that is not a Document (no Status: an empty object, null, an error object sent
    // with 200 by a gateway) says nothing about the document — least of all that it was not
    // sent, which would send it again: asked again later, as any bad answer.
    if (document === null || typeof document !== 'object' || typeof (document as { Status?: unknown }).Status !== 'string') {
      throw badResponse(answer.what, 'the answer is not a Document (it has no Status)');
    }
    return documentStatusFrom(document, reference);
  }

  return {
    ...securedSigningTraits(config),
    tokens,

    async upload(input: UploadInput) {
      const operation = `upload the document ${input.fileName}`;
      const extension = input.fileName.split('.').pop()?.toLowerCase() ?? '';
      const file = { field: 'file', fileName: input.fileName, contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream', payload: input.bytes };
      const answer = await callApi(ctx, { operation, method: 'POST', path: `/Document/Uploader/${segment(input.clientReference)}`, file, effect: true });
      const doc = parseJson(answer, true) as { Reference?: unknown } | null;
      if (typeof doc?.Reference !== 'string' || doc.Reference === '') throw badResponse(answer.what, 'no document Reference in the answer', undefined, { effect: true });
      return { reference: doc.Reference };
    },

    async send(input: SendInput): Promise<SendResult> {
      const operation = `send ${input.documentReferences.join(', ')} for signing`;
      const body: Record<string, unknown> = {
        DocumentReferences: input.documentReferences,
        DueDate: isoSeconds(input.dueAt),
        GMT: '0', // minutes from UTC: DueDate is already UTC
        PackageName: input.packageName,
      };
      // Signers override what the tags say, in signing order: the tags may carry a
      // transliterated name (the tag font cannot draw every script), the invitation must
      // carry the real one. With no signers the document's own tags stand as they are.
      if (input.signers.length > 0) {
        // Names came from a mail or a PDF: one line each, bounded, without control or format
        // characters (an override or an ESC would reach the invitation and the signature).
        body.Signers = input.signers.map((s) => ({ FirstName: quoteOutside(s.firstName, MAX_NAME_CHARS), LastName: quoteOutside(s.lastName, MAX_NAME_CHARS), Email: s.email }));
      }
      const answer = await callApi(ctx, { operation, method: 'POST', path: '/SmartTag/Send', json: body, effect: true });
      if (!Array.isArray(parseJson(answer, true))) throw badResponse(answer.what, 'expected a list of documents', undefined, { effect: true });
      // The package is not needed later: every call names a document by its reference.
      return { orderId: null, tasks: [], documents: input.documentReferences.map(() => null) };
    },

    async findSent(input) {
      // A document with signers, or a status past NotStart, was sent (unconfirmed: README).
      const first = await status(input.documentReferences[0]!);
      return first.sent ? { orderId: null, tasks: [], documents: input.documentReferences.map(() => null) } : null;
    },

    status: (document: SentDocument) => status(document.reference),

    async download({ reference }: SentDocument) {
      const operation = `download document ${reference}`;
      const answer = await callApi(ctx, { operation, method: 'GET', path: `/Download/GetDocumentData/${segment(reference)}`, streamed: true });
      return nonEmpty(answer.chunks!, () => badResponse(answer.what, 'the document is empty'));
    },

    async sendReminder({ reference }: SentDocument, known?: DocumentStatus) {
      // The SDK's SendReminderRequest — "send invitation reminder to invitee" — names the
      // document and the signer (SignerReference) and returns nothing: only the status
      // matters. The signers sign in order (Sign.N), so the invitee is the first who has not
      // signed; the document's status — the caller's, just read, or read here — says who that is.
      const { signers } = known ?? await status(reference);
      const invitee = signers.find((signer) => !signer.hasSigned)?.reference;
      if (signers.length > 0 && signers.every((signer) => signer.hasSigned)) {
        // Signed meanwhile (the caller asked a moment before): not reminded, and not recorded as if it were.
        throw new SignrelayError('permanent', 'nobody_to_remind', `every signer of document ${reference} has signed: nobody is left to remind`);
      }
      if (!invitee) {
        throw new SignrelayError('permanent', 'provider_bad_response',
          `Secured Signing's status of document ${reference} names no signer with a SignerReference to remind, so no reminder can be sent`);
      }
      await callApi(ctx, {
        operation: `remind the signer of document ${reference}`, method: 'POST', path: '/Document/SendReminder',
        json: { DocumentReference: reference, SignerReference: invitee }, effect: true,
      });
    },

    async extend({ reference }: SentDocument, dueAt: Date) {
      // The SDK's ExtendRequest: DocumentReference and DueDate required, GMT optional (the
      // offset, as SmartTag/Send takes it: "0" with a UTC DueDate). It returns the Document;
      // only the status matters here, as for SendReminder. The service's refusal of a
      // document no longer in progress is unconfirmed (docs/secured-signing.md).
      await callApi(ctx, {
        operation: `move the due date of document ${reference}`, method: 'POST', path: '/Document/Extend',
        json: { DocumentReference: reference, DueDate: isoSeconds(dueAt), GMT: '0' }, effect: true,
      });
    },

    async cancel({ reference }: SentDocument) {
      // DELETE /Document/{ref} is listed by the API (SECURED-SIGNING.md); its answer's shape
      // is not documented, so only the status matters. A document the service no longer
      // knows (404: deleted already, or by its retention) is withdrawn as far as we care.
      // RemoveFromPackage is required (the SDK's DeleteRequest): true withdraws this document
      // alone, so each call does what it names; the request's other documents get their own call.
      try {
        await callApi(ctx, { operation: `withdraw document ${reference} from signing`, method: 'DELETE', path: `/Document/${segment(reference)}?RemoveFromPackage=true`, effect: true });
      } catch (err) {
        if (isSignrelayError(err) && err.code === 'provider_not_found') return;
        throw err;
      }
    },

    async downloadCertificate({ reference }: SentDocument): Promise<SigningCertificate> {
      // Two calls (the SDK): the certificates' metadata, then the newest one's file. The
      // file's format is unconfirmed; a PDF is what the service calls a certificate, and
      // anything else is refused rather than put on a record under a .pdf name.
      const listed = await callApi(ctx, { operation: `list the completion certificates of document ${reference}`, method: 'GET', path: `/Document/SigningCompletionCertificate/${segment(reference)}` });
      const list = parseJson(listed);
      if (!Array.isArray(list)) throw badResponse(listed.what, 'expected a list of certificates');
      const newest = list
        .filter((c): c is { CertificateReference: string; SigningDate?: unknown } => typeof c?.CertificateReference === 'string' && c.CertificateReference !== '')
        .sort((a, b) => String(a.SigningDate ?? '').localeCompare(String(b.SigningDate ?? ''))).pop();
      if (!newest) {
        throw new SignrelayError('transient', 'certificate_not_ready', `Secured Signing has no completion certificate for document ${reference} yet`);
      }
      const answer = await callApi(ctx, { operation: `download the completion certificate of document ${reference}`, method: 'GET', path: `/Download/SigningCompletionCertificate/${segment(newest.CertificateReference)}` });
      if (!isPdfContent(answer.body)) throw badResponse(answer.what, 'the certificate is not a PDF');
      return { bytes: answer.body, contentType: 'application/pdf', fileSuffix: '-certificate.pdf' };
    },

    async accountInfo(): Promise<AccountInfo> {
      const operation = 'read the account information';
      const answer = await callApi(ctx, { operation, method: 'GET', path: '/Account/Info' });
      const raw = parseJson(answer);
      const info = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      // Any server answering JSON would do for the login's sake: the account's own fields say it is the service.
      if (!['PlanName', 'DocumentLeft', 'MaxUploadSize'].some((field) => field in info)) {
        throw new SignrelayError('config', 'provider_not_secured_signing',
          `what answered to ${operation} (GET /Account/Info) is not Secured Signing: its answer has none of PlanName, DocumentLeft, MaxUploadSize. Check provider.environment`);
      }
      const maxUpload = typeof info.MaxUploadSize === 'number' ? info.MaxUploadSize : undefined;
      return {
        ...(typeof info.PlanName === 'string' ? { plan: info.PlanName } : {}),
        ...(typeof info.DocumentLeft === 'number' ? { documentsLeft: info.DocumentLeft } : {}),
        ...(maxUpload !== undefined ? { maxUploadBytes: maxUpload <= MAX_UPLOAD_MIB_THRESHOLD ? maxUpload * 1024 * 1024 : maxUpload } : {}),
        raw,
      };
    },
  };
}
