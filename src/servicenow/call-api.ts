// One authenticated HTTP exchange with a ServiceNow instance: basic auth or an OAuth bearer
// (a 401 replaces the token once and the call is retried once), JSON in and out, a
// per-attempt timeout that covers the answer's body too (a hung call cannot hold the
// serial job runner), and classification of every failure at this boundary, naming the
// endpoint. client.ts says *what* to call; this file says *how*.
import { answerTooLarge, payloadBody, readAnswer, throwIfAltered, type Payload, type RequestBody } from '../http/streamed-bodies.ts';
import { badResponse, classifyHttpFailure, classifyNetworkFailure, type AccessNeed } from './classify-error.ts';
import type { TokenManager } from './oauth.ts';
import type { ServiceNowLogger } from './types.ts';

export interface ApiContext {
  /** The instance URL without a trailing slash. */
  baseUrl: string;
  /** `Basic …` for basic auth; null when OAuth tokens are used. */
  basicAuthorization: string | null;
  tokens: TokenManager | null;
  /** Configured secrets to mask in messages (password, client secret). */
  secrets: string[];
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  logger?: ServiceNowLogger | undefined;
}

export interface ApiCall {
  /** Words for messages: "attach contract-signed.pdf to RITM0010001". */
  operation: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** Path and query below the instance URL, starting with "/". */
  path: string;
  json?: unknown;
  bytes?: { data: Payload; contentType: string };
  /** What a 403/404 means for this call. */
  access?: AccessNeed;
  /** The call changes something (attachment, note): a lost answer leaves its outcome unknown. */
  effect?: boolean;
  /** Less than servicenow.timeout_seconds, for a call something waits on (intake's record lookup). */
  timeoutMs?: number;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  bodyText: string;
  /** The body was cut at MAX_ANSWER_BYTES (streamed-bodies.ts readAnswer): a 2xx so cut is a bad response. */
  tooLarge?: boolean;
  /** The operation and endpoint, for messages: "attach x.pdf to … (POST /api/now/attachment/file)". */
  what: string;
}

export async function callApi(ctx: ApiContext, call: ApiCall): Promise<ApiAnswer> {
  let bearer = ctx.tokens ? await ctx.tokens.accessToken() : undefined;
  const what = `${call.operation} (${call.method} ${call.path.split('?')[0]})`;
  for (let attempt = 1; ; attempt++) {
    const answer = await attemptOnce(ctx, call, what, bearer);
    if (answer.status === 401 && ctx.tokens && bearer !== undefined && attempt === 1) {
      // The token died before its stated expiry (revoked, instance clone or restart,
      // clock drift): replace it once; a second 401 is a real auth failure.
      ctx.logger?.debug('servicenow refused the access token; replacing it', { operation: call.operation });
      bearer = await ctx.tokens.replaceRejected(bearer);
      continue;
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw classifyHttpFailure(what, { status: answer.status, headers: answer.headers, bodyText: answer.bodyText }, {
        now: ctx.now(), secrets: [...ctx.secrets, ...(bearer ? [bearer] : [])], auth: ctx.tokens ? 'oauth' : 'basic',
        ...(call.access ? { access: call.access } : {}),
      });
    }
    if (answer.tooLarge) throw badResponse(what, answerTooLarge(), undefined, { effect: call.effect === true });
    return answer;
  }
}

async function attemptOnce(ctx: ApiContext, call: ApiCall, what: string, bearer: string | undefined): Promise<ApiAnswer> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
  else if (ctx.basicAuthorization !== null) headers.Authorization = ctx.basicAuthorization;
  let body: RequestInit['body'];
  let sent: RequestBody | undefined;
  if (call.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.bytes) {
    headers['Content-Type'] = call.bytes.contentType;
    const payload = payloadBody(call.bytes.data);
    headers['Content-Length'] = String(payload.length);
    sent = payload;
    body = payload.body;
  }
  const started = Date.now();
  const timeoutMs = Math.min(call.timeoutMs ?? ctx.timeoutMs, ctx.timeoutMs);
  const fields = { method: call.method, path: call.path.split('?')[0] };
  try {
    const response = await ctx.fetch(`${ctx.baseUrl}${call.path}`, {
      method: call.method, headers, body, ...(sent?.duplex ? { duplex: sent.duplex } : {}), signal: AbortSignal.timeout(timeoutMs),
    });
    const { bytes, tooLarge } = await readAnswer(response);
    throwIfAltered(sent);
    ctx.logger?.debug('servicenow call', { ...fields, status: response.status, ms: Date.now() - started });
    return { status: response.status, headers: response.headers, bodyText: new TextDecoder().decode(bytes), what, ...(tooLarge ? { tooLarge } : {}) };
  } catch (err) {
    throwIfAltered(sent);
    ctx.logger?.debug('servicenow call failed', { ...fields, ms: Date.now() - started });
    throw classifyNetworkFailure(what, err, timeoutMs / 1000, { effect: call.effect });
  } finally {
    sent?.close(); // the file it read, if the answer came first
  }
}
