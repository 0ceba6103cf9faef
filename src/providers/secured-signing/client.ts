// The Secured Signing implementation of SigningProvider (SECURED-SIGNING.md "Endpoints
// used"): upload a tagged PDF, send it with SmartTag/Send, poll its status, download the
// signed copy, remind the signers, read the account. Request mechanics (signatures, OAuth, timeouts, error
// classes) live in call-api.ts; this file only knows the endpoints and their JSON.
import type { ProviderConfig } from '../../config/schema.ts';
import type { AccountInfo, DocumentStatus, SendInput, SigningProvider, UploadInput } from '../provider.ts';
import { callApi, type ApiAnswer, type ApiContext, type ApiLogger } from './call-api.ts';
import { badResponse } from './classify-error.ts';
import { documentStatusFrom } from './document-status.ts';
import { resolveEndpoints } from './endpoints.ts';
import { createTokenManager, type TokenManager, type TokenStore } from './oauth.ts';

export interface SecuredSigningClientOptions {
  config: ProviderConfig;
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

function parseJson(operation: string, answer: ApiAnswer): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(answer.body));
  } catch (err) {
    throw badResponse(operation, 'the body is not JSON', err);
  }
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
  const fetchFn = options.fetch ?? globalThis.fetch;
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

  return {
    name: 'secured-signing',
    usesTextTags: true,
    tokens,

    async upload(input: UploadInput) {
      const operation = `upload the document ${input.fileName}`;
      const extension = input.fileName.split('.').pop()?.toLowerCase() ?? '';
      const form = new FormData();
      form.append('file', new Blob([input.bytes as Uint8Array<ArrayBuffer>], { type: CONTENT_TYPES[extension] ?? 'application/octet-stream' }), input.fileName);
      const answer = await callApi(ctx, { operation, method: 'POST', path: `/Document/Uploader/${segment(input.clientReference)}`, form });
      const doc = parseJson(operation, answer) as { Reference?: unknown } | null;
      if (typeof doc?.Reference !== 'string' || doc.Reference === '') throw badResponse(operation, 'no document Reference in the answer');
      return { reference: doc.Reference };
    },

    async send(input: SendInput) {
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
        body.Signers = input.signers.map((s) => ({ FirstName: s.firstName, LastName: s.lastName, Email: s.email }));
      }
      const answer = await callApi(ctx, { operation, method: 'POST', path: '/SmartTag/Send', json: body });
      if (!Array.isArray(parseJson(operation, answer))) throw badResponse(operation, 'expected a list of documents');
    },

    async status(reference: string): Promise<DocumentStatus> {
      const operation = `read the status of document ${reference}`;
      const answer = await callApi(ctx, { operation, method: 'GET', path: `/Document/Status/${segment(reference)}` });
      return documentStatusFrom(parseJson(operation, answer), reference);
    },

    async download(reference: string) {
      const operation = `download document ${reference}`;
      const answer = await callApi(ctx, { operation, method: 'GET', path: `/Download/GetDocumentData/${segment(reference)}` });
      if (answer.body.length === 0) throw badResponse(operation, 'the document is empty');
      return answer.body;
    },

    async sendReminder(reference: string) {
      // The body is UNCONFIRMED: the endpoint is listed by the API, its fields are not
      // documented; {"DocumentReference": …} follows the naming of the other calls. The
      // answer's shape is unknown too, so only the status matters.
      await callApi(ctx, { operation: `remind the signers of document ${reference}`, method: 'POST', path: '/Document/SendReminder', json: { DocumentReference: reference } });
    },

    async accountInfo(): Promise<AccountInfo> {
      const operation = 'read the account information';
      const answer = await callApi(ctx, { operation, method: 'GET', path: '/Account/Info' });
      const raw = parseJson(operation, answer);
      const info = (raw ?? {}) as Record<string, unknown>;
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
