// A local stand-in for Signicat's Sign API v1 ("Enterprise Sign") and its OIDC token
// endpoint, for tests, `signrelay demo` and `signrelay sandbox`. It enforces what the real
// service is documented to enforce (client credentials, a bearer on every call, session
// documents that expire, create-order validation answered as violations with property
// paths, signing order by dependsOnTasks, results only once signed), sends the orders'
// notifications (EMAIL over SMTP, SMS recorded, URL only when enabled), records every
// call, and can be told to fail on purpose. Routing, auth and recording live here; the
// rules live in the files next to it. Where the sources (the Sign API guide, the OpenAPI
// reference's excerpts, the signicat-net SDK, two public clients) are silent, each file
// says what it chose, marked "unconfirmed": token errors (token-server.ts), status codes
// and not-yet-available results (api-routes.ts), upload refusals (session-documents.ts),
// validation rules and wording (validate-order.ts, validate-notifications.ts, field-checks.ts),
// error bodies (problems.ts), invitation timing, rejection and deletion (orders.ts),
// archive URIs (order-json.ts), notification delivery (notifications.ts), ids (ids.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue, header, HttpProblem, injectFault, listenLocal, mediaType, readBody, recordCall, sendJson, sendRaw, type FaultSpec, type RecordedHttpCall, type ServeTls } from '../http-util.ts';
import { routeApi, type ApiContext } from './api-routes.ts';
import { Archive, type ArchivedDocument } from './archive.ts';
import { deliverNotification, type SentNotification } from './notifications.ts';
import { Orders, type SimOrder } from './orders.ts';
import { problemBody, signicatProblem } from './problems.ts';
import { SessionDocuments, type SessionDocument } from './session-documents.ts';
import { findLinkedTask, SIGNING_PATH, signingPageHtml } from './signing-page.ts';
import { SignicatTokenServer, type TokenClient } from './token-server.ts';

export interface SignicatSimulatorOptions {
  /** OAuth clients: client_id → secret (and the scopes it may ask for; default signicat-api). */
  clients: Record<string, TokenClient>;
  accessTokenLifetimeSeconds?: number; // default 600
  /** Where EMAIL notifications go; none = recorded with an error, not sent. */
  smtp?: { host: string; port: number };
  /** Signicat enables URL notifications per customer; default false (refused). */
  urlNotifications?: boolean;
  maxDocumentBytes?: number; // default 20 MiB
  now?: () => number;
  /** Serve https with this certificate (TLS tests); default plain http. */
  tls?: ServeTls;
}

/** A call as recorded: path e.g. /enterprise/sign/orders; body the parsed order, the token form, or an upload's type and size. */
export type RecordedCall = RecordedHttpCall;

export type { FaultSpec, SentNotification, SimOrder };

export interface SignicatSimulator {
  /** New platform API base: http://127.0.0.1:PORT/enterprise/sign */
  url: string;
  /** Old platform API base (the same API): http://127.0.0.1:PORT/sign */
  legacyUrl: string;
  /** New platform token endpoint: …/auth/open/connect/token */
  tokenUrl: string;
  /** Old platform token endpoint: …/oidc/token */
  legacyTokenUrl: string;
  port: number;
  calls: RecordedCall[];
  /** Session storage, by documentId. */
  documents: Map<string, SessionDocument>;
  orders: Map<string, SimOrder>;
  archive: Map<string, ArchivedDocument>;
  /** Every notification delivered (or attempted), in order. */
  notifications: SentNotification[];
  /** A valid access token without a token call. */
  issueToken(clientId?: string, scopes?: string[]): string;
  /** Every access token stops working (as a key rotation or server restart would). */
  revokeTokens(): void;
  /** The task's signer signs; refused while a task it depends on is not COMPLETED. */
  signTask(orderId: string, taskId: string, options?: { signer?: string }): Promise<SentNotification[]>;
  /** Every task signs, in dependency order. */
  signAll(orderId: string): Promise<SentNotification[]>;
  rejectTask(orderId: string, taskId: string, reason?: string): Promise<SentNotification[]>;
  expireTask(orderId: string, taskId: string): Promise<SentNotification[]>;
  failPackaging(orderId: string, packagingTaskId: string): void;
  /** Applies what the clock says (expiry, delayed notifications, deletion); API calls do it too. */
  tick(): Promise<SentNotification[]>;
  /** Waits for notifications being delivered in the background (those of new orders). */
  settled(): Promise<void>;
  /**
   * The next call(s) whose path (below the API base, or full) starts with `prefix` fail:
   * with a status, or `hang` / `malformed` / `gateway` (carried out, answer withheld, garbled or a gateway's error page instead), or
   * `reset` (connection reset mid-body, not carried out).
   */
  failNext(prefix: string, fault: FaultSpec): void;
  close(): Promise<void>;
}

export const API_PREFIX = '/enterprise/sign';
export const LEGACY_API_PREFIX = '/sign';
export const TOKEN_PATH = '/auth/open/connect/token';
export const LEGACY_TOKEN_PATH = '/oidc/token';
/** Scopes that open the Sign API (new platform, old platform); a token without one is 403. */
export const API_SCOPES = ['signicat-api', 'client.signature'];

function apiRelative(pathname: string): { prefix: string; path: string } | null {
  for (const prefix of [API_PREFIX, LEGACY_API_PREFIX]) {
    if (pathname.startsWith(`${prefix}/`)) return { prefix, path: pathname.slice(prefix.length) };
  }
  return null;
}

export async function startSignicatSimulator(options: SignicatSimulatorOptions): Promise<SignicatSimulator> {
  const now = options.now ?? Date.now;
  const maxDocumentBytes = options.maxDocumentBytes ?? 20 * 1024 * 1024;
  const tokens = new SignicatTokenServer({ clients: options.clients, accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 600, now });
  const sessions = new SessionDocuments(now, maxDocumentBytes);
  const archive = new Archive(now);
  const calls: RecordedCall[] = [];
  const notifications: SentNotification[] = [];
  const faults = new FaultQueue();
  const inFlight = new Set<Promise<unknown>>();
  let origin = '';

  const orders = new Orders({
    now, sessions, archive,
    get signingPage() {
      return `${origin}${SIGNING_PATH}`;
    },
    async deliver(notification, delivery) {
      const sent = await deliverNotification(notification, delivery, { ...(options.smtp ? { smtp: options.smtp } : {}), now });
      notifications.push(sent);
      return sent;
    },
  });
  const track = (delivery: Promise<unknown>) => {
    const settled = delivery.catch(() => undefined).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  };

  function authorize(req: IncomingMessage): void {
    const token = tokens.bearer(header(req, 'authorization'));
    if (token === 'missing') throw signicatProblem(401, 'An access token is required (Authorization: Bearer …)', 'UNAUTHORIZED', { 'WWW-Authenticate': 'Bearer' });
    if (token === 'invalid') {
      throw signicatProblem(401, 'The access token is invalid or has expired', 'UNAUTHORIZED', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    if (!token.scopes.some((s) => API_SCOPES.includes(s))) throw signicatProblem(403, `The access token lacks the scope for the Sign API (${API_SCOPES.join(' or ')})`, 'FORBIDDEN');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, call: RecordedCall): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, maxDocumentBytes);
    } catch (err) {
      if (err instanceof HttpProblem && err.status === 413) throw signicatProblem(413, `The request body is larger than ${maxDocumentBytes} bytes`, 'PAYLOAD_TOO_LARGE');
      throw err;
    }
    if (url.pathname === TOKEN_PATH || url.pathname === LEGACY_TOKEN_PATH) {
      if (req.method !== 'POST') throw signicatProblem(405, 'The token endpoint takes POST', 'METHOD_NOT_ALLOWED', { Allow: 'POST' });
      if (mediaType(req) !== 'application/x-www-form-urlencoded') {
        return sendJson(res, 400, { error: 'invalid_request', error_description: 'the token request must be application/x-www-form-urlencoded' });
      }
      const form = new URLSearchParams(body.toString('utf8'));
      call.body = Object.fromEntries(form);
      const answer = tokens.token(form, header(req, 'authorization'));
      return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store', ...answer.headers });
    }
    if (url.pathname === SIGNING_PATH && req.method === 'GET') {
      return sendRaw(res, 200, signingPageHtml(findLinkedTask(orders.byId.values(), url.searchParams)), 'text/html; charset=utf-8');
    }
    const api = apiRelative(url.pathname);
    if (!api) throw signicatProblem(404, `No endpoint ${req.method} ${url.pathname}`, 'NOT_FOUND');
    track(orders.sweep());
    authorize(req);
    const ctx: ApiContext = { sessions, orders, archive, apiBase: `${origin}${api.prefix}`, urlNotifications: options.urlNotifications ?? false, track };
    call.body = await routeApi(ctx, req, res, body, api.path);
  }

  const injectedError = (status: number) => problemBody(status, `Injected failure (HTTP ${status})`, 'INJECTED');

  const listening = await listenLocal((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const call = recordCall(req, res, url, now());
    calls.push(call);
    const fault = faults.take(url.pathname, apiRelative(url.pathname)?.path ?? null);
    if (fault) call.fault = fault.kind ?? 'status';
    if (fault && injectFault(req, res, fault, injectedError)) return;
    handle(req, res, url, call).catch((err: unknown) => {
      call.error = err instanceof Error ? err.message : String(err);
      if (res.headersSent) return res.destroy();
      if (err instanceof HttpProblem) return sendJson(res, err.status, err.body, err.headers);
      sendJson(res, 500, problemBody(500, 'An unexpected error occurred'), { 'Content-Type': 'application/problem+json' });
    });
  }, options.tls);
  origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${listening.port}`;

  return {
    url: `${origin}${API_PREFIX}`,
    legacyUrl: `${origin}${LEGACY_API_PREFIX}`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    legacyTokenUrl: `${origin}${LEGACY_TOKEN_PATH}`,
    port: listening.port,
    calls,
    documents: sessions.byId,
    orders: orders.byId,
    archive: archive.byId,
    notifications,
    issueToken: (clientId = Object.keys(options.clients)[0] ?? 'simulator', scopes) => tokens.issue(clientId, scopes),
    revokeTokens: () => tokens.revokeAll(),
    signTask: (orderId, taskId, sign = {}) => orders.sign(orderId, taskId, sign.signer),
    signAll: (orderId) => orders.signAll(orderId),
    rejectTask: (orderId, taskId, reason) => orders.reject(orderId, taskId, reason),
    expireTask: (orderId, taskId) => orders.expire(orderId, taskId),
    failPackaging: (orderId, packagingTaskId) => orders.failPackaging(orderId, packagingTaskId),
    tick: () => orders.sweep(),
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    failNext: (prefix, fault) => faults.add(prefix, fault),
    close: () => listening.close(),
  };
}
