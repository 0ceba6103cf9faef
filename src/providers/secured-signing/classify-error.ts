// Turns a failed Secured Signing exchange into a SignrelayError whose kind tells the
// caller what to do (SECURED-SIGNING.md "Errors"). Pure and table-tested: the decision
// rests only on where the failure came from (no answer, or an HTTP status) — never on
// guessing from message text. Messages name the operation and the remedy and never carry
// a credential: the server's own message is masked against the known secrets.
import { failuresOf, redirectRefused, type ServiceNames } from '../../http/network-failure.ts';
import { maskSecrets as mask } from '../../http/mask-secrets.ts';
import { parseRetryAfter } from '../../http/retry-after.ts';
import { SignrelayError } from '../../errors.ts';
import { errorText, jsonObject } from '../../http/json-fields.ts';
import { notTheApi } from '../../http/not-the-api.ts';
import { operatorCommand } from '../../service-unit.ts';

export interface HttpFailure {
  status: number;
  /** Only `get` is used, so a Fetch `Headers` or a plain stand-in both work. */
  headers: { get(name: string): string | null };
  bodyText: string;
}

export interface ClassifyOptions {
  /** Milliseconds since the epoch, for a Retry-After given as an HTTP date. */
  now: number;
  /** Values to mask if the server echoes them (API secret, tokens). */
  secrets?: string[];
  /** The call changes something: a server error leaves its outcome unknown. */
  effect?: boolean;
}


/** ServiceStack `{ResponseStatus:{ErrorCode,Message}}`, or an OAuth `{error,error_description}`. */
export function serverMessage(bodyText: string): { errorCode?: string; message?: string } {
  const record = jsonObject(bodyText);
  if (!record) return {};
  const status = record.ResponseStatus ?? record.responseStatus;
  if (status !== null && typeof status === 'object') {
    const s = status as Record<string, unknown>;
    return { errorCode: errorText(s.ErrorCode ?? s.errorCode), message: errorText(s.Message ?? s.message) };
  }
  return { errorCode: errorText(record.error), message: errorText(record.error_description ?? record.message) };
}


/**
 * The API's own error answer: a ServiceStack `ResponseStatus` object — or, to a 401/403, an
 * OAuth `{error}` (a bearer token refused). Anything else answering a 4xx is not the API's
 * word (a proxy's page, a load balancer's JSON 404): see http/not-the-api.ts.
 */
export function isSecuredSigningError(status: number, bodyText: string): boolean {
  const record = jsonObject(bodyText);
  if (!record) return false;
  const responseStatus = record.ResponseStatus ?? record.responseStatus;
  if (responseStatus !== null && typeof responseStatus === 'object' && !Array.isArray(responseStatus)) return true;
  return (status === 401 || status === 403) && errorText(record.error) !== undefined;
}

export function classifyHttpFailure(operation: string, failure: HttpFailure, options: ClassifyOptions): SignrelayError {
  const redirect = redirectRefused(SECURED_SIGNING, operation, failure);
  if (redirect) return redirect;
  const { status } = failure;
  const server = serverMessage(failure.bodyText);
  const said = server.message ? `: ${mask(server.message, options.secrets ?? [])}` : '';
  const what = `Secured Signing refused to ${operation} (HTTP ${status}${server.errorCode ? ` ${mask(server.errorCode, options.secrets ?? [])}` : ''})${said}`;

  if (status === 429 || status === 503) {
    const retryAfterSeconds = parseRetryAfter(failure.headers.get('retry-after'), options.now);
    const when = retryAfterSeconds === undefined ? 'later' : `in ${retryAfterSeconds} s`;
    return new SignrelayError('transient', status === 429 ? 'provider_rate_limited' : 'provider_unavailable',
      `${what}; the service is busy, will retry ${when}`, { retryAfterSeconds });
  }
  if (status >= 500) {
    // A 500, 502 or 504 may come after the service carried the call out (a gateway gave up
    // waiting for it): for a call that changes something its outcome is unknown, and it is
    // not simply made again (a reminder twice in a signer's inbox).
    const unknown = options.effect ? '; whether it was done is unknown' : '';
    return new SignrelayError('transient', 'provider_server_error',
      `Secured Signing failed to ${operation} (HTTP ${status}${server.errorCode ? ` ${mask(server.errorCode, options.secrets ?? [])}` : ''})${said}${unknown}; a fault on the service side, will retry`,
      { outcomeUnknown: options.effect === true });
  }
  if (status === 408) {
    return new SignrelayError('transient', 'provider_timeout', `${what}; will retry`);
  }
  if (status !== 401 && !isSecuredSigningError(status, failure.bodyText)) {
    // Not a refusal of the request, nor "the document is gone": something else answered
    // (fuzz review M1, L1). A 401 stays the credentials' (a proxy asks with 407).
    return notTheApi(SECURED_SIGNING, operation, failure, { apiAnswers: 'with a JSON ResponseStatus' });
  }
  if (status === 403 && /scope/i.test(`${server.errorCode ?? ''} ${server.message ?? ''}`)) {
    // The token was granted fewer scopes than the call needs (a refresh token authorized by hand, or with --scope).
    return new SignrelayError('auth', 'provider_auth',
      `${what}; the authorization lacks a scope signrelay needs: run \`${operatorCommand('authorize')}\` again (it asks for Basic SmartTag)`);
  }
  if (status === 401 || status === 403) {
    return new SignrelayError('auth', 'provider_auth',
      `${what}; check provider.api_key, provider.api_secret and provider.referer (the URL registered with the key), ` +
      `and the server clock; if the refresh token expired or was revoked, run \`${operatorCommand('authorize')}\``);
  }
  if (status === 404) {
    return new SignrelayError('permanent', 'provider_not_found', `${what}; the document is unknown to the service (deleted by its retention policy, or a wrong reference)`);
  }
  return new SignrelayError('permanent', 'provider_rejected', `${what}; the request will not succeed as it is`);
}

export const SECURED_SIGNING: ServiceNames = {
  service: 'Secured Signing', codePrefix: 'provider', section: 'provider', urlSetting: 'provider.environment (and provider.oauth_url)',
};

/** No HTTP answer (classifyNetworkFailure), or a 2xx that is not what the API documents (badResponse). */
export const { classifyNetworkFailure, badResponse } = failuresOf(SECURED_SIGNING);

export { parseRetryAfter };
