// The one OAuth2 access-token manager of every client signrelay has (Secured Signing,
// ServiceNow, XOAUTH2 mail, Signicat). It owns the mechanics; how a token is obtained —
// the grant — is a strategy. What it guarantees, for any strategy:
//
// - One request for a token at a time: concurrent callers share it. A rotated refresh
//   token is single-use, so two refreshes at once would kill the chain.
// - The store is read again before a token is requested: a token another caller or
//   process saved meanwhile is used instead (it wins; nothing is spent twice).
// - A token is renewed early — min(earlyRefreshMs = 60 s, a quarter of its lifetime)
//   before it expires (store/oauth-tokens.ts `refreshDueAt`) — so no call carries one about
//   to die, and a short-lived one is not renewed on every call.
// - A new token is saved before anyone gets it: if the store fails, the token is dropped
//   and the store's error is what callers see. (A rotated refresh token that exists only
//   in memory dies with the process.)
// - A token the service refused (401) is replaced once for every caller that saw it
//   refused, unless a newer one is already at hand, and is never handed out again.
// - Failures are the strategy's own errors, given to every caller that was waiting; none is
//   retried or remembered here (the caller's backoff decides when to ask again).
//
// A strategy plugs in with `obtain(stored, { record })`: from the row the store holds (null
// when none), get a new token — a refresh-token grant, client credentials, a password grant
// (http/oauth-grants.ts has them), a code exchange — and return it unsaved, or throw the
// service's error. `record` saves a bookkeeping row before the call (Secured Signing's
// refresh intent); `reload` reads the store again after it. `obtainWith` runs a one-off strategy (the authorization-code exchange)
// through the same single flight and save.
import { SignrelayError } from '../errors.ts';
import { isUsable, MAX_EARLY_REFRESH_MS, refreshDueAt, type StoredToken } from '../store/oauth-tokens.ts';

/** One row of tokens; a synchronous save (SQLite) has the token on disk before anything else runs. */
export interface TokenStore {
  load(): StoredToken | null | Promise<StoredToken | null>;
  save(token: StoredToken): void | Promise<void>;
}

export interface StrategyIo {
  /** Saves a row now, before the token request (e.g. what is about to be spent). */
  record(row: StoredToken): Promise<void>;
  /** The store's row now: another process (`signrelay check`, `authorize`) may have saved one while the request was out. */
  reload(): Promise<StoredToken | null>;
}

export interface TokenStrategy {
  /** A new token, not saved yet; or the service's error. `stored`: the store's row, null when none. */
  obtain(stored: StoredToken | null, io: StrategyIo): Promise<StoredToken>;
}

export interface AccessToken {
  value: string;
  /** When it is due for renewal (ms since the epoch): a connection that outlives it asks again. */
  renewAt: number;
}

export interface TokenManagerOptions {
  strategy: TokenStrategy;
  /** Without one the token lives in memory only (a client-credentials token is cheap to get again). */
  store?: TokenStore | undefined;
  now: () => number;
  /** Renew at most this long before the stated expiry (and at most a quarter of the lifetime). */
  earlyRefreshMs?: number | undefined;
  /** The error when a token just obtained cannot be used (the refused one handed back again). */
  unusable?: () => Error;
}

export interface TokenManager {
  /** A token valid for at least the early-refresh margin; obtains one when needed. */
  accessToken(): Promise<string>;
  /** The service refused `rejected` (401): a different token, obtained unless one is already at hand. */
  replaceRejected(rejected: string): Promise<string>;
  /** accessToken (or replaceRejected, given `rejected`) with the time the token is due for renewal. */
  token(rejected?: string): Promise<AccessToken>;
  /** Runs a one-off strategy (a code exchange) in the single flight; its token is saved and used from then on. */
  obtainWith(strategy: TokenStrategy): Promise<StoredToken>;
}

type Usable = StoredToken & { accessToken: string };

const unusableToken = () => new SignrelayError('transient', 'oauth_token_unusable',
  'the token endpoint handed out an access token that cannot be used (the one just refused, or already due for renewal); will retry');

/** A token store that starts empty and forgets on exit: a check's own grant, never a stored token. */
export function memoryStore(): TokenStore & { load(): StoredToken | null } {
  let row: StoredToken | null = null;
  return { load: () => row, save: (token) => void (row = token) };
}

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const store = options.store ?? memoryStore();
  const margin = options.earlyRefreshMs ?? MAX_EARLY_REFRESH_MS;
  let current: StoredToken | null = null;
  let inFlight: Promise<StoredToken> | null = null;
  /** Access tokens a service refused since the last new one was saved: nobody gets them again. */
  const refused = new Set<string>();

  const usable = (token: StoredToken | null): token is Usable =>
    isUsable(token, options.now(), { maxMarginMs: margin }) && !refused.has(token.accessToken);
  const save = async (row: StoredToken) => {
    await store.save(row);
  };

  async function renew(strategy: TokenStrategy, reuseStored: boolean): Promise<StoredToken> {
    const stored = await store.load();
    if (reuseStored && usable(stored)) return (current = stored);
    const token = await strategy.obtain(stored, { record: save, reload: async () => store.load() });
    await save(token);
    current = token;
    // Neither memory nor the store holds the refused tokens any more; the set would only grow.
    for (const old of refused) if (old !== token.accessToken) refused.delete(old);
    return token;
  }

  function flight(strategy: TokenStrategy, reuseStored: boolean): Promise<StoredToken> {
    inFlight ??= renew(strategy, reuseStored).finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function usableToken(rejected: string | undefined): Promise<Usable> {
    if (rejected !== undefined) refused.add(rejected);
    for (;;) {
      if (usable(current)) return current;
      // A request under way is ours too — unless it started before our token was refused
      // and brings that one back: then one more, our own.
      const joined = inFlight !== null;
      const token = await flight(options.strategy, true);
      if (usable(token)) return token;
      if (!joined) throw options.unusable?.() ?? unusableToken();
    }
  }

  return {
    accessToken: async () => (await usableToken(undefined)).accessToken,
    replaceRejected: async (rejected) => (await usableToken(rejected)).accessToken,
    async token(rejected) {
      const token = await usableToken(rejected);
      return { value: token.accessToken, renewAt: refreshDueAt(token, margin) ?? options.now() };
    },
    async obtainWith(strategy) {
      while (inFlight) await inFlight.catch(() => undefined);
      return flight(strategy, false);
    },
  };
}
