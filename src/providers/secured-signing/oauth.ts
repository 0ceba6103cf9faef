// OAuth2 tokens for Secured Signing (SECURED-SIGNING.md "Authentication", seed 001): the
// refresh-token flow used on every start and expiry, and the code exchange behind
// `signrelay authorize`. One refresh at a time — concurrent callers share the promise —
// and the store is re-read first, so a token another caller just saved is used rather
// than spending the refresh token twice (a rotated one is single-use).
import { createHash } from 'node:crypto';
import { SignrelayError } from '../../errors.ts';
import { tokenFromResponse } from '../../http/oauth-token-response.ts';
import { badResponse, classifyHttpFailure, classifyNetworkFailure, serverMessage } from './classify-error.ts';

/** Shaped like the store's row so `loadToken`/`saveToken` plug in directly. */
export interface StoredToken {
  accessToken: string | null;
  refreshToken: string | null;
  /** Milliseconds since the epoch. */
  expiresAt: number | null;
  scope?: string | null;
  /** sha256 of the configured refresh token this chain started from (see `refresh`). */
  seed?: string | null;
}

export interface TokenStore {
  load(): Promise<StoredToken | null> | StoredToken | null;
  save(token: StoredToken): void | Promise<void>;
}

export interface TokenManagerOptions {
  oauthBase: string;
  apiKey: string;
  apiSecret: string;
  store: TokenStore;
  /** From provider.refresh_token; used while the store holds none, and when it changed since the stored chain began. */
  initialRefreshToken?: string | undefined;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  /** Refresh this long before the stated expiry. */
  earlyRefreshMs?: number;
}

export interface TokenManager {
  /** A token valid for at least the early-refresh margin; refreshes when needed. */
  accessToken(): Promise<string>;
  /** The service refused `rejected` (401): get a different one, refreshing unless someone already did. */
  replaceRejected(rejected: string): Promise<string>;
  /** Authorization-code grant (for `signrelay authorize`); saves and returns the token. */
  exchangeCode(code: string, redirectUri: string): Promise<StoredToken>;
}

export const EARLY_REFRESH_MS = 60_000;
/** When a token response states no lifetime: short enough to be safe. */
const DEFAULT_LIFETIME_SECONDS = 3600;

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const margin = options.earlyRefreshMs ?? EARLY_REFRESH_MS;
  let current: StoredToken | null = null;
  let refreshing: Promise<string> | null = null;

  const usable = (t: StoredToken | null, rejected?: string): t is StoredToken & { accessToken: string } =>
    !!t?.accessToken && t.accessToken !== rejected && t.expiresAt !== null && t.expiresAt - margin > options.now();

  async function requestToken(operation: string, form: Record<string, string>, previous: StoredToken | null): Promise<StoredToken> {
    const secrets = [options.apiSecret, form.refresh_token, form.code].filter((v): v is string => !!v);
    let response: Response;
    let bodyText: string;
    try {
      response = await options.fetch(`${options.oauthBase}/token`, {
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
      // The token endpoint says 400 invalid_grant / invalid_client for a dead refresh
      // token or wrong credentials: that is for an operator, not a retry.
      if (response.status === 400 || response.status === 401 || response.status === 403) {
        const { errorCode } = serverMessage(bodyText);
        throw new SignrelayError('auth', 'provider_token_refused',
          `Secured Signing refused to ${operation} (HTTP ${response.status}${errorCode ? ` ${errorCode}` : ''}): ` +
          'check provider.api_key and provider.api_secret; if the refresh token expired or was revoked, put a new one in provider.refresh_token and restart');
      }
      throw classifyHttpFailure(operation, { status: response.status, headers: response.headers, bodyText }, { now: options.now(), secrets });
    }
    const parsed = tokenFromResponse(bodyText, previous, options.now(), DEFAULT_LIFETIME_SECONDS);
    if (!parsed.ok) throw badResponse(operation, parsed.problem, parsed.cause);
    const token = parsed.token;
    await options.store.save(token);
    current = token;
    return token;
  }

  async function refresh(rejected?: string): Promise<string> {
    const stored = await options.store.load();
    if (usable(stored, rejected)) {
      current = stored;
      return stored.accessToken;
    }
    // A refresh token put in the configuration after the stored chain began is the
    // operator's fix for a dead chain: it wins over the stored (rotated) one.
    const seed = options.initialRefreshToken ? createHash('sha256').update(options.initialRefreshToken).digest('hex') : null;
    const fromConfig = seed !== null && (!stored?.refreshToken || stored.seed !== seed);
    const refreshToken = fromConfig ? options.initialRefreshToken : stored?.refreshToken;
    if (!refreshToken) {
      throw new SignrelayError('auth', 'provider_not_authorized',
        'Secured Signing needs an OAuth2 refresh token and none is stored: set provider.refresh_token (from the authorization-code flow of your API key) and restart');
    }
    const token = await requestToken('refresh the OAuth2 access token', {
      grant_type: 'refresh_token', refresh_token: refreshToken, client_id: options.apiKey, client_secret: options.apiSecret,
    }, fromConfig ? { accessToken: null, refreshToken, expiresAt: null, seed } : stored!);
    return token.accessToken!;
  }

  function singleFlight(rejected?: string): Promise<string> {
    refreshing ??= refresh(rejected).finally(() => {
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
    exchangeCode(code, redirectUri) {
      return requestToken('exchange the authorization code', {
        grant_type: 'authorization_code', code, client_id: options.apiKey, client_secret: options.apiSecret, redirect_uri: redirectUri,
      }, null);
    },
  };
}

/** The URL a person opens to authorize signrelay (authorization-code flow). */
export function authorizeUrl(oauthBase: string, p: { apiKey: string; redirectUri: string; scope: string; state: string }): string {
  const query = new URLSearchParams({ response_type: 'code', client_id: p.apiKey, redirect_uri: p.redirectUri, scope: p.scope, state: p.state });
  return `${oauthBase}/authorize?${query.toString()}`;
}
