// One request to an OAuth2 token endpoint (RFC 6749 §3.2), the same for every service: a
// form POST, the client's credentials as HTTP Basic or in the form (services differ, so it
// is a setting), the answer read into the token we store — and what came back sorted:
// a token; a refusal (400/401/403: wrong credentials, a dead refresh token — for an
// operator, or for a strategy with another grant to try); or a failure, worded by the
// service (`failures`), never showing a secret.
import { badAnswer, classifyNetworkFailure, type ServiceNames } from './network-failure.ts';
import { answerTooLarge, readAnswer } from './streamed-bodies.ts';
import { jsonObject, textField } from './json-fields.ts';
import { tokenFromResponse } from './oauth-token-response.ts';
import { classifyTokenEndpointFailure } from './token-endpoint-failure.ts';
import type { StoredToken } from '../store/oauth-tokens.ts';

export interface TokenEndpointAnswer {
  status: number;
  headers: Headers;
  bodyText: string;
}

export interface TokenRefusal {
  status: number;
  /** The OAuth `error` (invalid_grant, invalid_client, …), when the answer had one. */
  error: string | undefined;
  description: string | undefined;
  bodyText: string;
}

/** How a service words what went wrong at its token endpoint; `secrets` are the values to mask. */
export interface TokenEndpointFailures {
  /** No answer: DNS, a refused or broken connection, TLS, the timeout. */
  network(operation: string, err: unknown, secrets: string[]): Error;
  /** 400/401/403, for a grant with no other way out. */
  refused(operation: string, refusal: TokenRefusal, secrets: string[]): Error;
  /** Any other status that is not 2xx: never a verdict on the request being worked on (token-endpoint-failure.ts). */
  failed(operation: string, answer: TokenEndpointAnswer, secrets: string[]): Error;
  /** A 2xx that is not a token. */
  badAnswer(operation: string, problem: string, cause: unknown): Error;
}

export interface TokenEndpoint {
  url: string;
  clientId: string;
  clientSecret: string;
  /** `basic`: HTTP Basic clientId:clientSecret (RFC 6749 §2.3.1); `form`: client_id and client_secret in the body. */
  clientAuth: 'basic' | 'form';
  fetch: typeof fetch;
  timeoutMs: number;
  now: () => number;
  /** Assumed when an answer states no expires_in. */
  defaultLifetimeSeconds: number;
  /** Masked in messages besides the client secret and the form's tokens and password. */
  secrets?: readonly string[] | undefined;
  failures: TokenEndpointFailures;
}

export type TokenAnswer = { ok: true; token: StoredToken } | { ok: false; refusal: TokenRefusal };

/**
 * Network failures, odd answers and statuses other than a refusal, worded by
 * http/network-failure.ts and token-endpoint-failure.ts for a service named `names` whose
 * token endpoint's address is in `tokenSetting`: one rule for every service (fuzz review M2).
 */
export function namedFailures(names: ServiceNames, options: { timeoutSeconds?: number; tokenSetting: string; now: () => number }): Omit<TokenEndpointFailures, 'refused'> {
  return {
    network: (operation, err) => classifyNetworkFailure(names, operation, err, { timeoutSeconds: options.timeoutSeconds }),
    badAnswer: (operation, problem, cause) => badAnswer(names, operation, problem, cause),
    failed: (operation, answer, secrets) => classifyTokenEndpointFailure(names, operation, answer, { now: options.now(), secrets, tokenSetting: options.tokenSetting }),
  };
}

/** RFC 6749 §2.3.1: each part form-urlencoded before the two are joined and base64-encoded. */
function basicAuthorization(id: string, secret: string): string {
  const encode = (part: string) => new URLSearchParams({ p: part }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

/** What a message must never show: the client secret, the form's tokens and password, the endpoint's extras. */
function secretsOf(endpoint: TokenEndpoint, form: Record<string, string>): string[] {
  return [endpoint.clientSecret, ...(endpoint.secrets ?? []), form.refresh_token, form.code, form.password].filter((v): v is string => !!v);
}

/**
 * Asks for a token with `form` (grant_type and its fields). `previous` is what the answer is
 * stored over: an answer without a refresh token (or scope) keeps its.
 */
export async function requestToken(endpoint: TokenEndpoint, operation: string, form: Record<string, string>, previous: StoredToken | null): Promise<TokenAnswer> {
  const secrets = secretsOf(endpoint, form);
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const body = new URLSearchParams(form);
  if (endpoint.clientAuth === 'basic') {
    headers.Authorization = basicAuthorization(endpoint.clientId, endpoint.clientSecret);
  } else {
    body.set('client_id', endpoint.clientId);
    body.set('client_secret', endpoint.clientSecret);
  }
  let answer: TokenEndpointAnswer;
  let tooLarge: boolean;
  try {
    const response = await endpoint.fetch(endpoint.url, {
      method: 'POST', headers, body: body.toString(), signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    const read = await readAnswer(response);
    tooLarge = read.tooLarge;
    answer = { status: response.status, headers: response.headers, bodyText: new TextDecoder().decode(read.bytes) };
  } catch (err) {
    throw endpoint.failures.network(operation, err, secrets);
  }
  if (tooLarge && answer.status >= 200 && answer.status <= 299) throw endpoint.failures.badAnswer(operation, answerTooLarge(), undefined);
  if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
    const said = jsonObject(answer.bodyText);
    return { ok: false, refusal: { status: answer.status, error: textField(said?.error), description: textField(said?.error_description), bodyText: answer.bodyText } };
  }
  if (answer.status < 200 || answer.status > 299) throw endpoint.failures.failed(operation, answer, secrets);
  const parsed = tokenFromResponse(answer.bodyText, previous, endpoint.now(), endpoint.defaultLifetimeSeconds);
  if (!parsed.ok) throw endpoint.failures.badAnswer(operation, parsed.problem, parsed.cause);
  return { ok: true, token: { ...parsed.token, obtainedAt: endpoint.now() } };
}

/** requestToken for a grant with no other way out: a refusal is thrown, in the service's words. */
export async function grantToken(endpoint: TokenEndpoint, operation: string, form: Record<string, string>, previous: StoredToken | null): Promise<StoredToken> {
  const answer = await requestToken(endpoint, operation, form, previous);
  if (answer.ok) return answer.token;
  throw endpoint.failures.refused(operation, answer.refusal, secretsOf(endpoint, form));
}
