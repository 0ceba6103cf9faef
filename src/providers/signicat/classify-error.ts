// Turns a failed Signicat Sign API exchange into a SignrelayError whose kind tells the
// caller what to do, from where the failure came (no answer, or an HTTP status) — never
// from guessing at message text. Signicat answers problems as JSON (`status`, `detail`,
// `title`) and validation failures as `violations[{propertyPath, message}]` (SIGNICAT.md);
// both are quoted, masked against the known secrets.
import { SignrelayError } from '../../errors.ts';
import { errorText, jsonObject } from '../../http/json-fields.ts';
import { maskSecrets } from '../../http/mask-secrets.ts';
import { failuresOf, redirectRefused, type ServiceNames } from '../../http/network-failure.ts';
import { parseRetryAfter } from '../../http/retry-after.ts';
import { notTheApi } from '../../http/not-the-api.ts';

export const SIGNICAT: ServiceNames = {
  service: 'Signicat', codePrefix: 'provider', section: 'provider', urlSetting: 'provider.base_url (and provider.token_url)',
};

export const { classifyNetworkFailure, badResponse } = failuresOf(SIGNICAT);

export interface HttpFailure {
  status: number;
  headers: { get(name: string): string | null };
  bodyText: string;
}

const MAX_VIOLATIONS_SHOWN = 5;

/** The problem's words: its detail (or title), and the violations with their paths. */
export function problemWords(bodyText: string): string {
  const body = jsonObject(bodyText);
  if (!body) return '';
  const violations = Array.isArray(body.violations) ? body.violations : [];
  const listed = violations.slice(0, MAX_VIOLATIONS_SHOWN).map((v) => {
    const record = v !== null && typeof v === 'object' ? v as Record<string, unknown> : {};
    return `${errorText(record.propertyPath) ?? '?'}: ${errorText(record.message) ?? 'invalid'}`;
  });
  const more = violations.length > MAX_VIOLATIONS_SHOWN ? `; and ${violations.length - MAX_VIOLATIONS_SHOWN} more` : '';
  const detail = errorText(body.detail) ?? errorText(body.title) ?? errorText(body.error_description) ?? errorText(body.error);
  return [detail, listed.length ? `${listed.join('; ')}${more}` : undefined].filter(Boolean).join(': ');
}

/**
 * The Sign API's own error answer: a problem document (`title` or `detail`) or a validation
 * failure (`violations`). Anything else answering a 4xx — a proxy's page, a gateway's
 * `{"message":"no Route matched"}` — is not the API's word: see http/not-the-api.ts.
 */
export function isSignicatProblem(bodyText: string): boolean {
  const body = jsonObject(bodyText);
  if (!body) return false;
  return Array.isArray(body.violations) || errorText(body.title) !== undefined || errorText(body.detail) !== undefined;
}

export function classifyHttpFailure(operation: string, failure: HttpFailure, options: { now: number; secrets: string[]; effect?: boolean }): SignrelayError {
  const redirect = redirectRefused(SIGNICAT, operation, failure);
  if (redirect) return redirect;
  const { status } = failure;
  const words = problemWords(failure.bodyText);
  const what = `Signicat refused to ${operation} (HTTP ${status})${words ? `: ${maskSecrets(words, options.secrets)}` : ''}`;
  if (status === 429 || status === 503) {
    const retryAfterSeconds = parseRetryAfter(failure.headers.get('retry-after'), options.now);
    return new SignrelayError('transient', status === 429 ? 'provider_rate_limited' : 'provider_unavailable',
      `${what}; the service is busy, will retry ${retryAfterSeconds === undefined ? 'later' : `in ${retryAfterSeconds} s`}`, { retryAfterSeconds });
  }
  if (status >= 500) {
    // After the service carried the call out, as with Secured Signing's (classify-error.ts there).
    const unknown = options.effect ? '; whether it was done is unknown' : '';
    return new SignrelayError('transient', 'provider_server_error',
      `Signicat failed to ${operation} (HTTP ${status})${words ? `: ${maskSecrets(words, options.secrets)}` : ''}${unknown}; a fault on the service side, will retry`,
      { outcomeUnknown: options.effect === true });
  }
  if (status === 408) return new SignrelayError('transient', 'provider_timeout', `${what}; will retry`);
  if (status !== 401 && !isSignicatProblem(failure.bodyText)) {
    // Not a refusal of the request, nor "the order is gone": something else answered (fuzz
    // review M1, L1). A 401 stays the credentials' (a proxy asks with 407).
    return notTheApi(SIGNICAT, operation, failure, { apiAnswers: 'with a JSON problem (title, detail or violations)' });
  }
  if (status === 401 || status === 403) {
    return new SignrelayError('auth', 'provider_auth',
      `${what}; check provider.client_id and provider.client_secret, provider.scope (the Sign API scope, e.g. signicat-api) and that the client may use the Sign API`);
  }
  if (status === 404) {
    return new SignrelayError('permanent', 'provider_not_found', `${what}; unknown to Signicat (deleted after its days to live, or a wrong id)`);
  }
  return new SignrelayError('permanent', 'provider_rejected', `${what}; the request will not succeed as it is`);
}

/** A refusal at the token endpoint: the client's credentials or scope, for an operator to fix. */
export function tokenRefused(operation: string, refusal: { status: number; bodyText: string }, secrets: string[]): SignrelayError {
  const words = problemWords(refusal.bodyText);
  return new SignrelayError('auth', 'provider_token_refused',
    `Signicat refused to ${operation} (HTTP ${refusal.status}${words ? `: ${maskSecrets(words, secrets)}` : ''}): ` +
    'check provider.client_id, provider.client_secret, provider.client_auth (form for the new platform, basic for the old one) and provider.scope');
}
