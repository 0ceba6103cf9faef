// A local stand-in for the Secured Signing API v1.4 and its OAuth2 server, for tests and
// `signrelay demo`. It enforces what the real service is documented to enforce (signature
// headers, nonce reuse, clock skew, bearer expiry, required fields) and answers
// ServiceStack-shaped errors, records every call, and can be told to fail on purpose.
// Routing and recording live here; the rules live in the files next to it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, header, HttpProblem, injectFault, listenLocal, mediaType, parseFormBody, parseJsonBody, readBody, recordCall, sendBytes, sendJson, sendRaw, type FaultSpec, type RecordedHttpCall, type ServeTls } from '../http-util.ts';
import { DEFAULT_COMPLETION_FROM, defaultCompletionSubject, sendCompletionMails, type SentCompletionMail } from './completion-mail.ts';
import { documentJson, Documents, serviceStackError, type SimDocument } from './documents.ts';
import { OAuthServer } from './oauth-server.ts';
import type { SmartTags, TagReading } from './smart-tags.ts';
import { checkSignature, NonceLedger } from './verify-signature.ts';

export interface SecuredSigningSimulatorOptions {
  apiKey: string;
  apiSecret: string;
  /** The URL registered with the key; requests must carry a Referer on the same host. */
  referer: string;
  /** Require bearer tokens (default true); false = the "without OAuth" variant. */
  oauth?: boolean;
  accessTokenLifetimeSeconds?: number; // default 30
  /** A refresh token that is valid from the start. */
  refreshToken?: string;
  rotateRefreshTokens?: boolean; // default true
  clockSkewSeconds?: number; // default 300
  /** Where completion mails go; none = no mail is sent. */
  smtp?: { host: string; port: number };
  from?: string;
  completionSubject?: (documentName: string) => string;
  maxUploadBytes?: number; // default 20 MiB
  documentsLeft?: number; // default 1000
  now?: () => number;
  /** Serve https with this certificate (TLS tests); default plain http. */
  tls?: ServeTls;
}

/** A call as recorded (path e.g. /web/v1.4/SmartTag/Send or /api/oauth2/token), with the uploaded file and its tags. */
export interface RecordedCall extends RecordedHttpCall {
  file?: { name: string; size: number; type: string };
  tags?: SmartTags;
}

export type { FaultSpec };

export interface SecuredSigningSimulator {
  /** API base including the version: http://127.0.0.1:PORT/web/v1.4 */
  url: string;
  /** OAuth2 base: http://127.0.0.1:PORT/api/oauth2 */
  oauthUrl: string;
  port: number;
  calls: RecordedCall[];
  documents: Map<string, SimDocument>;
  mails: SentCompletionMail[];
  oauth: OAuthServer;
  issueTokens(): { accessToken: string; refreshToken: string };
  signNext(reference: string): SimDocument;
  /**
   * One signer signs, in signing order, as a person does: the last one's signature
   * completes the document (Complete, the signed copy, the completion mail), the others'
   * leave it "k of n Signed". Resolves with the completion mails sent (none before the last).
   */
  signOne(reference: string): Promise<SentCompletionMail[]>;
  complete(reference: string): Promise<SentCompletionMail[]>;
  decline(reference: string, reason: string): SimDocument;
  expire(reference: string): SimDocument;
  /**
   * The next call(s) whose path (below the API base, or full) starts with `prefix` fail:
   * with a status, or `hang` / `drop` / `malformed` / `gateway` (carried out, answer withheld, connection reset, answer garbled or a gateway's error page instead), or
   * `reset` (connection reset mid-body, not carried out).
   */
  failNext(prefix: string, fault: FaultSpec): void;
  /** While on, successful JSON answers are cut short (invalid JSON). */
  setMalformedJson(on: boolean): void;
  /** How the tags of later uploads are read (smart-tags.ts): strict by default; the security tests read leniently, the worst case. */
  readTags(reading: TagReading): void;
  close(): Promise<void>;
}

export const API_PREFIX = '/web/v1.4';

/**
 * The OAuth2 scope a call needs. Seed 001: `Basic` fetches account information (plan,
 * status: Account/Info), `SmartTag` sends documents with smart tags (upload, SmartTag/Send).
 * Which scope the document calls (status, download, reminder, extension, withdrawal, certificate) need
 * is not documented: Basic here, the narrower reading of "information about your account".
 */
function scopeOf(route: string): 'Basic' | 'SmartTag' {
  return route === 'POST /SmartTag/Send' || route === 'POST /Document/Uploader' ? 'SmartTag' : 'Basic';
}

/**
 * DELETE /Document/{ref}'s `RemoveFromPackage` (query, boolean), marked required in the
 * SDK's request type: true takes this document out of its package, false deletes the
 * whole package. Missing or not a boolean: the 400 a ServiceStack service gives.
 */
function removeFromPackage(query: URLSearchParams): boolean {
  const value = query.get('RemoveFromPackage')?.toLowerCase();
  if (value === 'true' || value === 'false') return value === 'true';
  throw serviceStackError(400, 'ValidationException', value === undefined
    ? "'RemoveFromPackage' is required: true removes this document from its package, false deletes the whole package"
    : `'RemoveFromPackage' must be true or false, not "${query.get('RemoveFromPackage')}"`);
}
export const OAUTH_PREFIX = '/api/oauth2';

export async function startSecuredSigningSimulator(options: SecuredSigningSimulatorOptions): Promise<SecuredSigningSimulator> {
  const now = options.now ?? Date.now;
  const requireBearer = options.oauth ?? true;
  const rules = { apiKey: options.apiKey, apiSecret: options.apiSecret, referer: options.referer, clockSkewSeconds: options.clockSkewSeconds ?? 300 };
  const nonces = new NonceLedger();
  const oauth = new OAuthServer({
    apiKey: options.apiKey, apiSecret: options.apiSecret, now,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 30, rotateRefreshTokens: options.rotateRefreshTokens ?? true,
  });
  if (options.refreshToken) oauth.addRefreshToken(options.refreshToken);
  const documentsOptions = { now, maxUploadBytes: options.maxUploadBytes ?? 20 * 1024 * 1024, documentsLeft: options.documentsLeft ?? 1000, tagReading: 'strict' as TagReading };
  const documents = new Documents(documentsOptions);
  const calls: RecordedCall[] = [];
  const mails: SentCompletionMail[] = [];
  const faults = new FaultQueue();
  let malformedJson = false;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    if (malformedJson && status < 300) sendRaw(res, status, JSON.stringify(body).slice(0, 12), 'application/json; charset=utf-8');
    else sendJson(res, status, body);
  };

  async function routeApi(req: IncomingMessage, body: Buffer, path: string, query: URLSearchParams, call: RecordedCall, res: ServerResponse): Promise<void> {
    const refusal = checkSignature((n) => header(req, n), rules, nonces, now())
      ?? (requireBearer ? oauth.checkBearer(header(req, 'authorization')) : null);
    if (refusal) throw serviceStackError(401, refusal.errorCode, refusal.message);
    const [, first, second, third] = path.split('/').map(decodeURIComponent);
    const route = `${req.method} /${first ?? ''}/${second ?? ''}`;
    const missingScope = requireBearer ? oauth.checkScope(header(req, 'authorization'), scopeOf(route)) : null;
    if (missingScope) throw serviceStackError(403, missingScope.errorCode, missingScope.message);
    if (route === 'POST /Document/Uploader') {
      if (mediaType(req) !== 'multipart/form-data') throw serviceStackError(400, 'ValidationException', 'Upload must be multipart/form-data');
      const form = await parseFormBody(req, body).catch(() => {
        throw serviceStackError(400, 'ValidationException', 'malformed multipart body');
      });
      const file = form.get('file');
      if (file instanceof File) call.file = { name: file.name, size: file.size, type: file.type };
      const doc = await documents.upload(form, third ?? null);
      call.tags = doc.tags;
      return json(res, 200, documentJson(doc));
    }
    /** The JSON body of a POST, as the service demands it (and recorded for the tests). */
    const jsonRequest = (operation: string): unknown => {
      if (mediaType(req) !== 'application/json') throw serviceStackError(400, 'ValidationException', `${operation} expects a JSON body`);
      try {
        call.body = parseJsonBody(body);
      } catch {
        throw serviceStackError(400, 'SerializationException', 'the JSON body could not be parsed');
      }
      return call.body;
    };
    if (route === 'POST /SmartTag/Send') return json(res, 200, documents.send(jsonRequest('SmartTag/Send')).map(documentJson));
    // The SDK's SendReminderRequest returns nothing: 204.
    if (route === 'POST /Document/SendReminder') {
      documents.remind(jsonRequest('SendReminder'));
      res.writeHead(204).end();
      return;
    }
    // Extend's fields are the SDK's ExtendRequest; its refusals are unconfirmed (documents.ts).
    if (route === 'POST /Document/Extend') return json(res, 200, documentJson(documents.extend(jsonRequest('Extend'))));
    if (route === 'GET /Document/Status' && third) return json(res, 200, documentJson(documents.get(third)));
    if (req.method === 'DELETE' && first === 'Document' && second && !third) return json(res, 200, documentJson(documents.remove(second, removeFromPackage(query))));
    if (route === 'GET /Document/SigningCompletionCertificate' && third) return json(res, 200, documents.certificates(third));
    if (route === 'GET /Download/SigningCompletionCertificate' && third) {
      return sendBytes(res, 200, documents.certificateBytes(third), 'application/pdf', { 'Content-Disposition': 'attachment; filename="SigningCompletionCertificate.pdf"' });
    }
    if (route === 'GET /Download/GetDocumentData' && third) {
      const doc = documents.get(third);
      const type = doc.name.toLowerCase().endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream';
      return sendBytes(res, 200, documents.download(third), type, { 'Content-Disposition': `attachment; filename="${doc.name.replace(/"/g, '')}"` });
    }
    if (route === 'GET /Account/Info') return json(res, 200, documents.account());
    throw serviceStackError(404, 'NotFound', `Handler for Request not found: ${req.method} ${path}`);
  }

  async function routeOAuth(req: IncomingMessage, body: Buffer, url: URL, call: RecordedCall, res: ServerResponse): Promise<void> {
    const path = url.pathname.slice(OAUTH_PREFIX.length);
    let answer;
    if (req.method === 'GET' && path === '/authorize') {
      answer = oauth.authorize(url.searchParams);
    } else if (req.method === 'POST' && path === '/token') {
      if (mediaType(req) !== 'application/x-www-form-urlencoded') {
        answer = { status: 400, body: { error: 'invalid_request', error_description: 'the token request must be application/x-www-form-urlencoded' } };
      } else {
        const form = new URLSearchParams(body.toString('utf8'));
        call.body = Object.fromEntries(form);
        answer = oauth.token(form);
      }
    } else if (req.method === 'POST' && path === '/revoke') {
      answer = oauth.revoke(header(req, 'authorization'));
    } else {
      answer = { status: 404, body: { error: 'not_found', error_description: `no OAuth endpoint ${req.method} ${url.pathname}` } };
    }
    if (answer.location) {
      res.writeHead(answer.status, { Location: answer.location });
      res.end();
      return;
    }
    // Token answers go through json() too, so the malformed-JSON switch reaches them.
    return json(res, answer.status, answer.body ?? {});
  }

  const injectedError = (status: number) => ({ ResponseStatus: { ErrorCode: `Http${status}`, Message: `Injected failure (HTTP ${status})` } });

  const listening = await listenLocal((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const call: RecordedCall = recordCall(req, res, url, now());
    calls.push(call);
    const relative = url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : null;
    const fault = faults.take(url.pathname, relative);
    if (fault) call.fault = fault.kind ?? 'status';
    if (fault && injectFault(req, res, fault, injectedError)) return;
    (async () => {
      const body = await readBody(req);
      if (relative !== null) return routeApi(req, body, relative, url.searchParams, call, res);
      if (url.pathname.startsWith(`${OAUTH_PREFIX}/`)) return routeOAuth(req, body, url, call, res);
      throw serviceStackError(404, 'NotFound', `Handler for Request not found: ${req.method} ${url.pathname}`);
    })().catch((err: unknown) => {
      call.error = err instanceof Error ? err.message : String(err);
      if (res.headersSent) return res.destroy();
      if (err instanceof HttpProblem) return sendJson(res, err.status, err.body);
      sendJson(res, 500, { ResponseStatus: { ErrorCode: 'Exception', Message: 'An unhandled error occurred' } });
    });
  }, options.tls);

  const base = `${options.tls ? 'https' : 'http'}://127.0.0.1:${listening.port}`;
  const simulator: SecuredSigningSimulator = {
    url: `${base}${API_PREFIX}`,
    oauthUrl: `${base}${OAUTH_PREFIX}`,
    port: listening.port,
    calls,
    documents: documents.byReference,
    mails,
    oauth,
    issueTokens: () => oauth.issueTokens(),
    signNext: (reference) => documents.signNext(reference),
    async signOne(reference) {
      const doc = documents.get(reference);
      const last = doc.signers.filter((signer) => !signer.HasSigned).length === 1;
      documents.signNext(reference); // refuses a document nobody can sign any more
      return last ? simulator.complete(reference) : [];
    },
    async complete(reference) {
      const doc = await documents.complete(reference);
      if (!options.smtp) return [];
      const sent = await sendCompletionMails(doc, {
        smtp: options.smtp, from: options.from ?? DEFAULT_COMPLETION_FROM, subject: options.completionSubject ?? defaultCompletionSubject,
      });
      mails.push(...sent);
      return sent;
    },
    decline: (reference, reason) => documents.decline(reference, reason),
    expire: (reference) => documents.expire(reference),
    failNext: (prefix, fault) => faults.add(prefix, fault),
    readTags(reading) {
      documentsOptions.tagReading = reading;
    },
    setMalformedJson(on) {
      malformedJson = on;
    },
    close: () => listening.close(),
  };
  return simulator;
}
