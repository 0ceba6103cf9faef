// OAuth2 tokens for Secured Signing (SECURED-SIGNING.md "Authentication", seed 001): the
// refresh-token flow used on every start and expiry, and the code exchange behind
// `signrelay authorize`. One refresh at a time — concurrent callers share the promise —
// and the store is re-read first, so a token another caller just saved is used rather
// than spending the refresh token twice (a rotated one is single-use).
//
// A refresh that rotates the refresh token cannot be made crash-proof from this side: if
// the provider stops accepting the old token once it has issued the new one (SECURED-SIGNING.md
// does not say; the simulator assumes so, the worst case) and the answer is lost — the
// process killed, the connection broken — the chain is dead. What can be done is done: the
// window is as short as the answer itself (the new token is saved, synchronously, before
// anything else runs); a refresh happens only when due (min(60 s, a quarter of the
// lifetime) before expiry); and the intent — a hash of the token being spent — is recorded
// before the call, so the refusal after such a loss is recognised, and the operator is told
// exactly what happened and what to do. After a crash the stored (old) token is simply tried
// again: if the provider still accepts it, nothing was lost.
import { createHash } from 'node:crypto';
import { SignrelayError } from '../../errors.ts';
import { tokenFromResponse } from '../../http/oauth-token-response.ts';
import { isUsable, MAX_EARLY_REFRESH_MS } from '../../store/oauth-tokens.ts';
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
  /** When the access token was obtained (ms since the epoch). */
  obtainedAt?: number | null;
  /** sha256 of a refresh token sent to the token endpoint whose answer has not been saved. */
  refreshIntent?: string | null;
  /** When that refresh token was first sent (ms since the epoch). */
  refreshIntentAt?: number | null;
}

/** What an operator is told when the provider refuses the refresh token: signrelay is locked out. */
export interface LockoutNotice {
  subject: string;
  text: string;
}

export interface TokenStore {
  load(): Promise<StoredToken | null> | StoredToken | null;
  /** Called right after a token answer is read: a synchronous store saves it before anything else runs. */
  save(token: StoredToken): void | Promise<void>;
  /** Told once per process and refresh token when the provider refuses it (the daemon alerts an operator). */
  lockedOut?(notice: LockoutNotice): void;
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
  /** Refresh at most this long before the stated expiry (and at most a quarter of the lifetime). */
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

/** When a token response states no lifetime: short enough to be safe. */
const DEFAULT_LIFETIME_SECONDS = 3600;
const REFRESH = 'refresh the OAuth2 access token';
const FIX = 'run `signrelay authorize` (or put a new refresh token in provider.refresh_token and reload signrelay)';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** How a refresh token is named in messages: a prefix of its hash, never the token. */
const named = (hash: string) => `sha256 ${hash.slice(0, 12)}…`;

interface Refusal {
  status: number;
  errorCode: string | undefined;
}

/** The refresh token was sent before and its answer (the rotated token) was lost: the precise diagnosis. */
function lostRotation(refusal: Refusal, spent: string, sentAt: number): SignrelayError {
  return new SignrelayError('auth', 'provider_refresh_lost',
    `Secured Signing refused to ${REFRESH} (HTTP ${refusal.status} invalid_grant): its refresh token (${named(spent)}) had already been sent to ` +
    `Secured Signing at ${new Date(sentAt).toISOString()} by a refresh whose answer — with the next refresh token — was never saved ` +
    '(signrelay stopped, or the connection broke, before it could save it); Secured Signing no longer accepts the old token and the new one ' +
    `is lost, so signrelay cannot get an access token by itself: ${FIX}`);
}

function refused(operation: string, refusal: Refusal): SignrelayError {
  return new SignrelayError('auth', 'provider_token_refused',
    `Secured Signing refused to ${operation} (HTTP ${refusal.status}${refusal.errorCode ? ` ${refusal.errorCode}` : ''}): ` +
    'check provider.api_key and provider.api_secret; if the refresh token expired or was revoked, run `signrelay authorize`');
}

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const maxMargin = options.earlyRefreshMs ?? MAX_EARLY_REFRESH_MS;
  let current: StoredToken | null = null;
  let refreshing: Promise<string> | null = null;
  /** Refresh tokens whose refusal an operator was already told about (once per process). */
  const reported = new Set<string>();

  const usable = (t: StoredToken | null, rejected?: string) => isUsable(t, options.now(), { rejected, maxMarginMs: maxMargin });

  async function save(token: StoredToken): Promise<void> {
    const pending = options.store.save(token);
    if (pending) await pending;
  }

  /** One token-endpoint exchange: the new token (saved before this returns), or the endpoint's refusal. */
  async function postToken(operation: string, form: Record<string, string>, previous: StoredToken | null): Promise<StoredToken | Refusal> {
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
    // The token endpoint says 400 invalid_grant / invalid_client for a dead refresh token or
    // wrong credentials: that is for an operator, not a retry.
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      return { status: response.status, errorCode: serverMessage(bodyText).errorCode };
    }
    if (!response.ok) throw classifyHttpFailure(operation, { status: response.status, headers: response.headers, bodyText }, { now: options.now(), secrets });
    const parsed = tokenFromResponse(bodyText, previous, options.now(), DEFAULT_LIFETIME_SECONDS);
    if (!parsed.ok) throw badResponse(operation, parsed.problem, parsed.cause);
    // Saved at once: the old refresh token may be dead already, this answer is the only copy of the new one.
    const token: StoredToken = { ...parsed.token, obtainedAt: options.now() };
    await save(token);
    current = token;
    return token;
  }

  function tellOperator(spent: string, error: SignrelayError): void {
    if (reported.has(spent)) return;
    reported.add(spent);
    try {
      options.store.lockedOut?.({
        subject: 'Secured Signing refused the refresh token',
        text: `${error.message}.\n\nUntil then every request that needs Secured Signing waits (nothing is failed or lost); the work goes on once a new refresh token is in place.`,
      });
    } catch {
      // The refusal itself is what the caller must see (and logs); the alert is extra.
    }
  }

  async function refresh(rejected?: string): Promise<string> {
    const stored = await options.store.load();
    if (usable(stored, rejected)) {
      current = stored;
      return stored.accessToken;
    }
    // A refresh token put in the configuration after the stored chain began is the
    // operator's fix for a dead chain: it wins over the stored (rotated) one.
    const seed = options.initialRefreshToken ? sha256(options.initialRefreshToken) : null;
    const fromConfig = seed !== null && (!stored?.refreshToken || stored.seed !== seed);
    const refreshToken = fromConfig ? options.initialRefreshToken : stored?.refreshToken;
    if (!refreshToken) {
      throw new SignrelayError('auth', 'provider_not_authorized',
        'Secured Signing needs OAuth2 tokens and none are stored: run `signrelay authorize` (or set provider.refresh_token and reload signrelay)');
    }
    const spent = sha256(refreshToken);
    // An intent for this very token with no result: an earlier refresh sent it and its answer was lost.
    const sentBefore = stored?.refreshIntent === spent ? stored.refreshIntentAt ?? options.now() : null;
    const before: StoredToken = stored ?? { accessToken: null, refreshToken: null, expiresAt: null };
    await save({ ...before, refreshIntent: spent, refreshIntentAt: sentBefore ?? options.now() });
    const answer = await postToken(REFRESH, {
      grant_type: 'refresh_token', refresh_token: refreshToken, client_id: options.apiKey, client_secret: options.apiSecret,
    }, fromConfig ? { accessToken: null, refreshToken, expiresAt: null, seed } : stored);
    if ('accessToken' in answer) return answer.accessToken!;
    // A refusal spent nothing: the intent goes back to what it was (so one naming an earlier lost refresh stays).
    await save(before);
    const error = sentBefore !== null && answer.errorCode === 'invalid_grant' ? lostRotation(answer, spent, sentBefore) : refused(REFRESH, answer);
    tellOperator(spent, error);
    throw error;
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
    async exchangeCode(code, redirectUri) {
      const operation = 'exchange the authorization code';
      const answer = await postToken(operation, {
        grant_type: 'authorization_code', code, client_id: options.apiKey, client_secret: options.apiSecret, redirect_uri: redirectUri,
      }, null);
      if (!('accessToken' in answer)) throw refused(operation, answer);
      return answer;
    },
  };
}

/** The URL a person opens to authorize signrelay (authorization-code flow). */
export function authorizeUrl(oauthBase: string, p: { apiKey: string; redirectUri: string; scope: string; state: string }): string {
  const query = new URLSearchParams({ response_type: 'code', client_id: p.apiKey, redirect_uri: p.redirectUri, scope: p.scope, state: p.state });
  return `${oauthBase}/authorize?${query.toString()}`;
}
