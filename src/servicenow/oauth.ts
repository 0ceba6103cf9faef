// OAuth2 tokens for ServiceNow (SERVICENOW.md "Authentication"): `POST /oauth_token.do`,
// form-urlencoded only, with the password grant (access + refresh token) or the
// client_credentials grant (Washington DC+, access token only). A stored refresh token is
// used first; when the instance refuses it (expired after its 100 days, revoked) the
// configured grant runs again — signrelay holds those credentials, so no operator step is
// needed. One refresh at a time: concurrent callers share the promise, and the store is
// re-read first so a token another caller just saved is used.
import { SignrelayError, isSignrelayError } from '../errors.ts';
import { tokenFromResponse } from '../http/oauth-token-response.ts';
import { isUsable, MAX_EARLY_REFRESH_MS } from '../store/oauth-tokens.ts';
import { badResponse, classifyHttpFailure, classifyNetworkFailure, mask, serviceNowMessage } from './classify-error.ts';
import type { ServiceNowTokenStore, StoredToken } from './types.ts';

export interface TokenManagerOptions {
  /** {instance}/oauth_token.do */
  tokenUrl: string;
  grant: 'password' | 'client_credentials';
  clientId: string;
  clientSecret: string;
  user?: string | undefined;
  password?: string | undefined;
  store: ServiceNowTokenStore;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  /** Refresh at most this long before the stated expiry (and at most a quarter of the lifetime). */
  earlyRefreshMs?: number;
}

export interface TokenManager {
  /** A token valid for at least the early-refresh margin; refreshes or re-grants when needed. */
  accessToken(): Promise<string>;
  /** The instance refused `rejected` (401): get a different one unless someone already did. */
  replaceRejected(rejected: string): Promise<string>;
}

/** ServiceNow's default access-token lifetime, when a response states none. */
const DEFAULT_LIFETIME_SECONDS = 1800;

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const maxMargin = options.earlyRefreshMs ?? MAX_EARLY_REFRESH_MS;
  const secrets = [options.clientSecret, options.password].filter((v): v is string => !!v);
  let current: StoredToken | null = null;
  let refreshing: Promise<string> | null = null;

  const usable = (t: StoredToken | null, rejected?: string) => isUsable(t, options.now(), { rejected, maxMarginMs: maxMargin });

  function refusal(operation: string, status: number, bodyText: string, grant: string): SignrelayError {
    const { message, detail } = serviceNowMessage(bodyText);
    const words = [message, detail].filter(Boolean).join(' ');
    const fix = grant === 'client_credentials'
      ? 'check servicenow.auth.client_id and servicenow.auth.client_secret, that the OAuth application allows the client_credentials grant ' +
        '(glide.oauth.inbound.client.credential.grant_type.enabled) and has an OAuth Application User'
      : 'check servicenow.auth.client_id, servicenow.auth.client_secret, servicenow.auth.user and servicenow.auth.password, ' +
        'and that the integration user is active and not locked out';
    return new SignrelayError('auth', 'servicenow_token_refused',
      `ServiceNow refused to ${operation} (HTTP ${status}${words ? `: ${mask(words, secrets)}` : ''}): ${fix}`);
  }

  async function requestToken(operation: string, form: Record<string, string>, previous: StoredToken | null): Promise<StoredToken> {
    const allSecrets = [...secrets, form.refresh_token].filter((v): v is string => !!v);
    let response: Response;
    let bodyText: string;
    try {
      response = await options.fetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      bodyText = await response.text();
    } catch (err) {
      throw classifyNetworkFailure(operation, err, options.timeoutMs / 1000);
    }
    if (!response.ok) {
      // oauth_token.do answers 401 {"error":"server_error","error_description":"access_denied"}
      // for wrong credentials and dead refresh tokens alike: for an operator, not a retry.
      if (response.status === 400 || response.status === 401 || response.status === 403) {
        throw refusal(operation, response.status, bodyText, form.grant_type ?? '');
      }
      throw classifyHttpFailure(operation, { status: response.status, headers: response.headers, bodyText }, { now: options.now(), secrets: allSecrets, auth: 'oauth' });
    }
    // client_credentials gives no refresh token: the grant simply runs again.
    const parsed = tokenFromResponse(bodyText, previous, options.now(), DEFAULT_LIFETIME_SECONDS);
    if (!parsed.ok) throw badResponse(operation, parsed.problem, parsed.cause);
    const token: StoredToken = { ...parsed.token, obtainedAt: options.now() };
    await options.store.save(token);
    current = token;
    return token;
  }

  function grant(): Promise<StoredToken> {
    const client = { client_id: options.clientId, client_secret: options.clientSecret };
    if (options.grant === 'client_credentials') {
      return requestToken('obtain an OAuth access token (client_credentials grant)', { grant_type: 'client_credentials', ...client }, null);
    }
    return requestToken('obtain an OAuth access token (password grant)', {
      grant_type: 'password', ...client, username: options.user ?? '', password: options.password ?? '',
    }, null);
  }

  async function obtain(rejected?: string): Promise<string> {
    const stored = await options.store.load();
    if (usable(stored, rejected)) {
      current = stored;
      return stored.accessToken;
    }
    if (stored?.refreshToken) {
      try {
        const token = await requestToken('refresh the OAuth access token', {
          grant_type: 'refresh_token', refresh_token: stored.refreshToken, client_id: options.clientId, client_secret: options.clientSecret,
        }, stored);
        return token.accessToken!;
      } catch (err) {
        // A refused refresh token (expired, revoked, another client's) is replaced by a new
        // grant; a network or server failure is not, or one outage would burn the grant too.
        if (!isSignrelayError(err) || err.kind !== 'auth') throw err;
      }
    }
    return (await grant()).accessToken!;
  }

  function singleFlight(rejected?: string): Promise<string> {
    refreshing ??= obtain(rejected).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  return {
    async accessToken() {
      if (usable(current)) return current.accessToken;
      return singleFlight();
    },
    async replaceRejected(rejected) {
      if (usable(current, rejected)) return current.accessToken;
      return singleFlight(rejected);
    },
  };
}
