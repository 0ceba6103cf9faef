// One authenticated HTTP exchange with the Secured Signing API: fresh signature headers
// for every attempt, the bearer token when OAuth2 is on (a 401 refreshes it once and the
// call is retried once), a per-attempt timeout that covers the answer's body too (a hung
// call cannot hold the serial job runner), and classification of every failure at this
// boundary, naming the endpoint. client.ts says *what* to call; this file says *how*.
import { answerChunks, answerTooLarge, multipartBody, readAnswer, throwIfAltered, type FilePart, type RequestBody } from '../../http/streamed-bodies.ts';
import { signatureHeaders } from './auth-headers.ts';
import { badResponse, classifyHttpFailure, classifyNetworkFailure } from './classify-error.ts';
import type { TokenManager } from './oauth.ts';

export interface ApiLogger {
  debug(message: string, fields?: Record<string, unknown>): unknown;
}

export interface ApiContext {
  apiBase: string;
  apiKey: string;
  apiSecret: string;
  referer: string;
  /** null for the "without OAuth" variant (signature headers only). */
  tokens: TokenManager | null;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  logger?: ApiLogger | undefined;
}

export interface ApiCall {
  /** Words for messages: "upload the document contract.pdf". */
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below the versioned base, starting with "/". */
  path: string;
  json?: unknown;
  /** A multipart/form-data upload of one file. */
  file?: FilePart;
  /** The call changes something (upload, send): a lost answer leaves its outcome unknown. */
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
  /** The operation and endpoint, for messages: "upload the document x.pdf (POST /Document/Uploader)". */
  what: string;
}

/** The endpoint without the identifiers in its path: /Document/Status/REF → /Document/Status. */
export function endpointOf(call: Pick<ApiCall, 'method' | 'path'>): string {
  return `${call.method} ${call.path.split('?')[0]!.split('/').slice(0, 3).join('/')}`;
}

export async function callApi(ctx: ApiContext, call: ApiCall): Promise<ApiAnswer> {
  let bearer = ctx.tokens ? await ctx.tokens.accessToken() : undefined;
  const what = `${call.operation} (${endpointOf(call)})`;
  for (let attempt = 1; ; attempt++) {
    const answer = await attemptOnce(ctx, call, what, bearer);
    if (answer.status === 401 && ctx.tokens && bearer !== undefined && attempt === 1) {
      // "Session expired or invalid": the token died before its stated expiry (revoked,
      // server restart, clock drift). Refresh once; a second 401 is a real auth failure.
      ctx.logger?.debug('secured signing refused the access token; refreshing', { operation: call.operation });
      bearer = await ctx.tokens.replaceRejected(bearer);
      continue;
    }
    if (answer.status < 200 || answer.status >= 300) {
      const secrets = [ctx.apiKey, ctx.apiSecret, ...(bearer ? [bearer] : [])];
      throw classifyHttpFailure(what, { status: answer.status, headers: answer.headers, bodyText: new TextDecoder().decode(answer.body) }, { now: ctx.now(), secrets, effect: call.effect === true });
    }
    if (answer.tooLarge) throw badResponse(what, answerTooLarge(), undefined, { effect: call.effect === true });
    return answer;
  }
}

async function attemptOnce(ctx: ApiContext, call: ApiCall, what: string, bearer: string | undefined): Promise<ApiAnswer> {
  const headers: Record<string, string> = {
    ...signatureHeaders({ apiKey: ctx.apiKey, apiSecret: ctx.apiSecret, referer: ctx.referer, now: ctx.now() }),
    Accept: 'application/json',
  };
  if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
  let body: RequestInit['body'];
  let sent: RequestBody | undefined;
  if (call.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.file) {
    const multipart = multipartBody(call.file);
    headers['Content-Type'] = multipart.contentType;
    headers['Content-Length'] = String(multipart.length);
    sent = multipart;
    body = multipart.body;
  }
  const started = Date.now();
  try {
    const response = await ctx.fetch(`${ctx.apiBase}${call.path}`, {
      method: call.method, headers, body, ...(sent?.duplex ? { duplex: sent.duplex } : {}), signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    if (call.streamed && response.ok) {
      ctx.logger?.debug('secured signing call answered; its body follows', { method: call.method, path: call.path, status: response.status, ms: Date.now() - started });
      const chunks = answerChunks(response.body, (err) => classifyNetworkFailure(what, err, ctx.timeoutMs / 1000));
      return { status: response.status, headers: response.headers, body: new Uint8Array(0), chunks, what };
    }
    const { bytes, tooLarge } = await readAnswer(response);
    throwIfAltered(sent);
    ctx.logger?.debug('secured signing call', { method: call.method, path: call.path, status: response.status, ms: Date.now() - started });
    return { status: response.status, headers: response.headers, body: bytes, what, ...(tooLarge ? { tooLarge } : {}) };
  } catch (err) {
    throwIfAltered(sent);
    ctx.logger?.debug('secured signing call failed', { method: call.method, path: call.path, ms: Date.now() - started });
    throw classifyNetworkFailure(what, err, ctx.timeoutMs / 1000, { effect: call.effect });
  } finally {
    sent?.close(); // the file it read, if the answer came first
  }
}
