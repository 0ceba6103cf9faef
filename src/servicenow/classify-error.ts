// Turns a failed ServiceNow exchange into a SignrelayError whose kind tells the caller what
// to do (SERVICENOW.md "REST basics"). Pure and table-tested: the decision rests on where
// the failure came from (no answer, or an HTTP status and its headers), never on message
// text. Messages name the operation, the record and the setting or permission to fix, and
// never carry a credential: ServiceNow's own words are masked against the known secrets.
import { failuresOf, redirectRefused, type ServiceNames } from '../http/network-failure.ts';
import { maskSecrets as mask } from '../http/mask-secrets.ts';
import { parseRetryAfter } from '../http/retry-after.ts';
import { boundedRetryAfter } from '../time.ts';
import { SignrelayError } from '../errors.ts';
import { errorText, jsonObject } from '../http/json-fields.ts';
import { notTheApi } from '../http/not-the-api.ts';

export interface HttpFailure {
  status: number;
  /** Only `get` is used, so a Fetch `Headers` or a plain stand-in both work. */
  headers: { get(name: string): string | null };
  bodyText: string;
}

/** What a 403/404 is about: "record RITM0010001 (sc_req_item)" and "read on sc_req_item". */
export interface AccessNeed {
  subject: string;
  permission: string;
}

export interface ClassifyContext {
  /** Milliseconds since the epoch, for Retry-After dates and X-RateLimit-Reset. */
  now: number;
  /** Values to mask if the server echoes them (passwords, client secret, tokens). */
  secrets?: string[];
  auth: 'basic' | 'oauth';
  access?: AccessNeed;
}

/** A 429 without rate-limit headers means the instance's API semaphore queue is full. */
export const QUEUE_FULL_WAIT_SECONDS = 30;

/** `{"error":{"message","detail"},"status":"failure"}`, or an OAuth `{error, error_description}`. */
export function serviceNowMessage(bodyText: string): { message?: string; detail?: string } {
  const record = jsonObject(bodyText);
  if (!record) return {};
  if (record.error !== null && typeof record.error === 'object') {
    const e = record.error as Record<string, unknown>;
    return { message: errorText(e.message), detail: errorText(e.detail) };
  }
  return { message: errorText(record.error), detail: errorText(record.error_description) };
}


/** ServiceNow's own error answer: `{"error": {…}}` (the REST APIs) or `{"error": "…"}`. Anything else is not the API's. */
export function isServiceNowError(bodyText: string): boolean {
  const error = jsonObject(bodyText)?.error;
  return (error !== null && typeof error === 'object' && !Array.isArray(error)) || errorText(error) !== undefined;
}

function said(failure: HttpFailure, secrets: string[]): string {
  const { message, detail } = serviceNowMessage(failure.bodyText);
  const words = [message, detail && detail !== message ? detail : undefined].filter(Boolean).join(' — ');
  return words ? `: ${mask(words, secrets)}` : '';
}

export function classifyHttpFailure(operation: string, failure: HttpFailure, ctx: ClassifyContext): SignrelayError {
  const redirect = redirectRefused(SERVICENOW, operation, failure);
  if (redirect) return redirect;
  const { status } = failure;
  const what = `ServiceNow refused to ${operation} (HTTP ${status}${said(failure, ctx.secrets ?? [])})`;

  if (status === 429 || status === 503) {
    const rule = failure.headers.get('x-ratelimit-rule');
    let retryAfterSeconds = parseRetryAfter(failure.headers.get('retry-after'), ctx.now);
    const reset = Number(failure.headers.get('x-ratelimit-reset') ?? NaN);
    if (retryAfterSeconds === undefined && Number.isFinite(reset) && reset > 0) retryAfterSeconds = boundedRetryAfter(reset - ctx.now / 1000);
    const queueFull = status === 429 && retryAfterSeconds === undefined && rule === null;
    if (queueFull) retryAfterSeconds = QUEUE_FULL_WAIT_SECONDS;
    const why = status === 503 ? 'the instance is unavailable'
      : queueFull ? 'the instance\'s API request queue is full'
        : `a rate-limit rule of the instance${rule ? ` (sys_rate_limit_rules ${rule})` : ''} was hit`;
    const when = retryAfterSeconds === undefined ? 'later' : `in ${retryAfterSeconds} s`;
    return new SignrelayError('transient', status === 429 ? 'servicenow_rate_limited' : 'servicenow_unavailable',
      `${what}; ${why}, will retry ${when}`, { retryAfterSeconds });
  }
  if (status >= 500) return new SignrelayError('transient', 'servicenow_server_error', `${what}; a fault on the instance, will retry`);
  if (status === 408) return new SignrelayError('transient', 'servicenow_timeout', `${what}; will retry`);
  if (status === 401) {
    const mfa = (failure.headers.get('x-mfa_token') ?? '').toLowerCase() === 'invalid';
    if (ctx.auth === 'oauth') {
      return new SignrelayError('auth', 'servicenow_auth',
        `${what} even with a freshly obtained OAuth access token: check servicenow.auth (client_id, client_secret, user, password), ` +
        'that the OAuth application is active and the integration user is active and not locked out');
    }
    return new SignrelayError('auth', 'servicenow_auth',
      `${what}: check servicenow.auth.user and servicenow.auth.password, and that the integration user is active and not locked out` +
      (mfa ? '; the instance demands multi-factor authentication for this user (X-MFA_TOKEN: invalid): exempt the integration user from MFA or use servicenow.auth.type: oauth' : ''));
  }
  if (!isServiceNowError(failure.bodyText)) {
    // ServiceNow's API answers its refusals in JSON ({"error": …}); any other 4xx is someone
    // else's: an egress proxy's or a firewall's block page, a load balancer with no route, a
    // WAF's 400 or 418, the instance's IP address access control. Not the integration user's
    // permissions, not the record's absence, and not for good: the work waits for the
    // operator, as for a setting (fuzz review L1: a WAF's 418 failed signed deliveries).
    return notTheApi(SERVICENOW, operation, failure, { apiAnswers: 'in JSON', alsoAnswering: 'the instance\'s IP address access control' });
  }
  if (status === 403) {
    const need = ctx.access
      ? `the integration user lacks ${ctx.access.permission} for ${ctx.access.subject}`
      : 'the integration user lacks a permission this needs';
    return new SignrelayError('permanent', 'servicenow_forbidden',
      `${what}; ${need}: grant it a role with that access (read on the record's table, create on sys_attachment, write on work_notes/comments)`);
  }
  if (status === 404) {
    const subject = ctx.access?.subject ?? 'the record';
    return new SignrelayError('permanent', 'servicenow_not_found',
      `${what}; ${subject} does not exist or the integration user cannot see it (ACL)`);
  }
  if (status === 400) {
    return new SignrelayError('permanent', 'servicenow_bad_request', `${what}; the instance rejected the request as it is`);
  }
  return new SignrelayError('permanent', 'servicenow_rejected', `${what}; the request will not succeed as it is`);
}

export const SERVICENOW: ServiceNames = {
  service: 'ServiceNow', codePrefix: 'servicenow', section: 'servicenow', urlSetting: 'servicenow.instance_url',
  // A hibernating developer instance, or a wrong URL, answers with a page.
  badAnswerHint: '(is servicenow.instance_url the instance, and is it awake?)',
};

/** No HTTP answer (classifyNetworkFailure), or a 2xx that is not what the API documents (badResponse). */
export const { classifyNetworkFailure, badResponse } = failuresOf(SERVICENOW);

export { mask, parseRetryAfter };
