// What a token endpoint's answer that is neither a token nor a refusal of the credentials
// (400/401/403: token-endpoint.ts) means — one rule for Secured Signing, Signicat and
// ServiceNow. Getting a token is not the request the job is about: whatever the endpoint
// (or a proxy or WAF in front of it) answers, it is no verdict on that request. Before, the
// API's classifier read it, and a token endpoint's 404 page was "the document is gone" — a
// cancel recorded as withdrawn with no DELETE sent — and a 409 or 422 failed the request for
// good (fuzz review M1, M2). A 5xx, 429, 503 or 408 is the endpoint's outage: retried as
// the API's are. Any other status (404, 405, 409, 418, 422, 451 …) is a wrong token URL or
// something in front of it: the operator's, so the work waits and is tried again. Pure.
import { SignrelayError } from '../errors.ts';
import { errorText, jsonObject } from './json-fields.ts';
import { maskSecrets } from './mask-secrets.ts';
import { redirectRefused, type ServiceNames } from './network-failure.ts';
import { parseRetryAfter } from './retry-after.ts';

export interface TokenEndpointFailureContext {
  /** Milliseconds since the epoch, for a Retry-After date. */
  now: number;
  secrets: string[];
  /** The setting(s) holding the token endpoint's address: "provider.token_url". */
  tokenSetting: string;
}

/** The endpoint's OAuth words (`error`, `error_description`), when it said any, masked. */
function oauthWords(bodyText: string, secrets: string[]): string {
  const body = jsonObject(bodyText);
  const words = [errorText(body?.error), errorText(body?.error_description)].filter(Boolean).join(': ');
  return words ? `: ${maskSecrets(words, secrets)}` : '';
}

export function classifyTokenEndpointFailure(
  names: ServiceNames, operation: string,
  answer: { status: number; headers: { get(name: string): string | null }; bodyText: string }, ctx: TokenEndpointFailureContext,
): SignrelayError {
  const redirect = redirectRefused(names, operation, answer);
  if (redirect) return redirect;
  const { status } = answer;
  const prefix = names.codePrefix;
  const what = `${names.service}'s token endpoint answered HTTP ${status}${oauthWords(answer.bodyText, ctx.secrets)} when asked to ${operation}`;
  if (status === 429 || status === 503) {
    const retryAfterSeconds = parseRetryAfter(answer.headers.get('retry-after'), ctx.now);
    return new SignrelayError('transient', status === 429 ? `${prefix}_rate_limited` : `${prefix}_unavailable`,
      `${what}; it is busy, will retry ${retryAfterSeconds === undefined ? 'later' : `in ${retryAfterSeconds} s`}`, { retryAfterSeconds });
  }
  if (status >= 500) return new SignrelayError('transient', `${prefix}_server_error`, `${what}; a fault on the service side, will retry`);
  if (status === 408) return new SignrelayError('transient', `${prefix}_timeout`, `${what}; will retry`);
  return new SignrelayError('config', `${prefix}_token_endpoint`,
    `${what}: neither a token nor a refusal of the credentials — a wrong token URL, or something in front of the endpoint ` +
    `(a proxy, a firewall, a WAF) answered; check ${ctx.tokenSetting} and that this host can reach it. ` +
    'This says nothing about the request being worked on: the work waits and is tried again');
}
