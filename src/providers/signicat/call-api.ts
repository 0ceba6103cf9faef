// One authenticated exchange with the Sign API: the bearer token from the shared token
// manager (a 401 replaces it once and the call is retried once), a per-attempt timeout that
// covers the answer's body too, and every failure classified at this boundary, naming the
// endpoint. client.ts says *what* to call; this file says *how*.
import { answerChunks, answerTooLarge, payloadBody, readAnswer, throwIfAltered, type Payload, type RequestBody } from '../../http/streamed-bodies.ts';
import type { TokenManager } from '../../http/token-manager.ts';
import { badResponse, classifyHttpFailure, classifyNetworkFailure } from './classify-error.ts';

export interface ApiLogger {
  debug(message: string, fields?: Record<string, unknown>): unknown;
}

export interface ApiContext {
  /** The Sign API base, without a trailing slash. */
  baseUrl: string;
  tokens: Pick<TokenManager, 'accessToken' | 'replaceRejected'>;
  secrets: string[];
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  logger?: ApiLogger | undefined;
}

export interface ApiCall {
  /** Words for messages: "create the signing order". */
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below the base ("/orders/…"), or an absolute URL the API handed out under the base (a resultUri). */
  path: string;
  json?: unknown;
  pdf?: Payload;
  /** The call changes something (an upload, an order): a lost answer leaves its outcome unknown. */
  effect?: boolean;
  /** A 2xx answer's body is left to arrive as `chunks` (a download), not read here. */
  streamed?: boolean;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** Empty for a `streamed` call's 2xx answer: its body is `chunks`. */
  body: Uint8Array;
  chunks?: AsyncIterable<Uint8Array>;
  /** The body was cut at MAX_ANSWER_BYTES (streamed-bodies.ts readAnswer): a 2xx so cut is a bad response. */
  tooLarge?: boolean;
  what: string;
}

/** The endpoint without its ids: /orders/ID/tasks/ID/status → /orders/…/status. */
export function endpointOf(call: Pick<ApiCall, 'method' | 'path'>): string {
  const path = call.path.replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
  const parts = path.split('/').filter(Boolean);
  const shown = parts.length <= 2 ? `/${parts[0] ?? ''}` : `/${parts[0]}/…/${parts.at(-1)}`;
  return `${call.method} ${shown}`;
}

export async function callApi(ctx: ApiContext, call: ApiCall): Promise<ApiAnswer> {
  const what = `${call.operation} (${endpointOf(call)})`;
  let bearer = await ctx.tokens.accessToken();
  for (let attempt = 1; ; attempt++) {
    const answer = await attemptOnce(ctx, call, what, bearer);
    if (answer.status === 401 && attempt === 1) {
      ctx.logger?.debug('signicat refused the access token; getting another', { operation: call.operation });
      bearer = await ctx.tokens.replaceRejected(bearer);
      continue;
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw classifyHttpFailure(what, { status: answer.status, headers: answer.headers, bodyText: new TextDecoder().decode(answer.body) }, { now: ctx.now(), secrets: [...ctx.secrets, bearer], effect: call.effect === true });
    }
    if (answer.tooLarge) throw badResponse(what, answerTooLarge(), undefined, { effect: call.effect === true });
    return answer;
  }
}

async function attemptOnce(ctx: ApiContext, call: ApiCall, what: string, bearer: string): Promise<ApiAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${bearer}`, Accept: 'application/json' };
  let body: RequestInit['body'];
  let sent: RequestBody | undefined;
  if (call.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.pdf) {
    headers['Content-Type'] = 'application/pdf';
    const payload = payloadBody(call.pdf);
    headers['Content-Length'] = String(payload.length);
    sent = payload;
    body = payload.body;
  }
  const url = /^https?:\/\//.test(call.path) ? call.path : `${ctx.baseUrl}${call.path}`;
  const started = Date.now();
  try {
    const response = await ctx.fetch(url, { method: call.method, headers, body, ...(sent?.duplex ? { duplex: sent.duplex } : {}), signal: AbortSignal.timeout(ctx.timeoutMs) });
    if (call.streamed && response.ok) {
      ctx.logger?.debug('signicat call answered; its body follows', { method: call.method, endpoint: endpointOf(call), status: response.status, ms: Date.now() - started });
      const chunks = answerChunks(response.body, (err) => classifyNetworkFailure(what, err, ctx.timeoutMs / 1000));
      return { status: response.status, headers: response.headers, body: new Uint8Array(0), chunks, what };
    }
    const { bytes, tooLarge } = await readAnswer(response);
    throwIfAltered(sent);
    ctx.logger?.debug('signicat call', { method: call.method, endpoint: endpointOf(call), status: response.status, ms: Date.now() - started });
    return { status: response.status, headers: response.headers, body: bytes, what, ...(tooLarge ? { tooLarge } : {}) };
  } catch (err) {
    throwIfAltered(sent);
    ctx.logger?.debug('signicat call failed', { method: call.method, endpoint: endpointOf(call), ms: Date.now() - started });
    throw classifyNetworkFailure(what, err, ctx.timeoutMs / 1000, { effect: call.effect });
  } finally {
    sent?.close(); // the file it read, if the answer came first
  }
}
