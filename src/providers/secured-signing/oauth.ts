// OAuth2 tokens for Secured Signing (SECURED-SIGNING.md "Authentication", seed 001): the
// refresh-token grant used on every start and expiry, as a strategy of the shared token
// manager (http/token-manager.ts: one refresh at a time, the store re-read first, early
// renewal, saved before use), and the code exchange behind `signrelay authorize` through
// the same manager. What is Secured Signing's own is here: which refresh token to spend,
// the intent recorded before spending it, and what the operator is told when it is refused.
//
// A refresh that rotates the refresh token cannot be made crash-proof from this side: if
// the provider stops accepting the old token once it has issued the new one (SECURED-SIGNING.md
// does not say; the simulator assumes so, the worst case) and the answer is lost — the
// process killed, the connection broken — the chain is dead. What can be done is done: the
// window is as short as the answer itself (the manager saves the new token, synchronously,
// before anything else runs); a refresh happens only when due; and the intent — a hash of
// the token being spent — is recorded before the call, so the refusal after such a loss is
// recognised, and the operator is told exactly what happened and what to do. After a crash
// the stored (old) token is simply tried again: if the provider still accepts it, nothing
// was lost.
import { createHash } from 'node:crypto';
import { SignrelayError } from '../../errors.ts';
import { requestToken, type TokenEndpoint, type TokenRefusal } from '../../http/token-endpoint.ts';
import { createTokenManager as createManager, type TokenManager as Manager, type TokenStore as Store, type TokenStrategy } from '../../http/token-manager.ts';
import { isUsable, type StoredToken } from '../../store/oauth-tokens.ts';
import { exchangeCode } from './authorization-code.ts';
import { refusalCode, securedSigningTokenEndpoint, tokenRefused } from './token-endpoint.ts';
import { operatorCommand, serviceUnit } from '../../service-unit.ts';

export type { StoredToken };

/** What an operator is told when the provider refuses the refresh token: signrelay is locked out. */
export interface LockoutNotice {
  subject: string;
  text: string;
}

export interface TokenStore extends Store {
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
}

export interface TokenManager extends Pick<Manager, 'accessToken' | 'replaceRejected'> {
  /** Authorization-code grant (for `signrelay authorize`); saves and returns the token. */
  exchangeCode(code: string, redirectUri: string): Promise<StoredToken>;
}

const REFRESH = 'refresh the OAuth2 access token';
const fix = () => `run \`${operatorCommand('authorize')}\` (or put a new refresh token in provider.refresh_token and \`systemctl restart ${serviceUnit()}\`)`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** How a refresh token is named in messages: a prefix of its hash, never the token. */
const named = (hash: string) => `sha256 ${hash.slice(0, 12)}…`;

/** The refresh token was sent before and its answer (the rotated token) was lost: the precise diagnosis. */
function lostRotation(refusal: TokenRefusal, spent: string, sentAt: number): SignrelayError {
  return new SignrelayError('auth', 'provider_refresh_lost',
    `Secured Signing refused to ${REFRESH} (HTTP ${refusal.status} invalid_grant): its refresh token (${named(spent)}) had already been sent to ` +
    `Secured Signing at ${new Date(sentAt).toISOString()} by a refresh whose answer — with the next refresh token — was never saved ` +
    '(signrelay stopped, or the connection broke, before it could save it — or a backup of signrelay.db from before that refresh was restored); Secured Signing no longer accepts the old token and the new one ' +
    `is lost, so signrelay cannot get an access token by itself: ${fix()}`);
}

/** The refresh-token grant with rotation: the strategy the manager runs when a token is due. */
function rotatingRefresh(options: TokenManagerOptions, endpoint: TokenEndpoint): TokenStrategy {
  /** Refresh tokens whose refusal an operator was already told about (once per process). */
  const reported = new Set<string>();

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

  return {
    async obtain(stored, { record, reload }) {
      // A refresh token put in the configuration after the stored chain began is the
      // operator's fix for a dead chain: it wins over the stored (rotated) one.
      const seed = options.initialRefreshToken ? sha256(options.initialRefreshToken) : null;
      const fromConfig = seed !== null && (!stored?.refreshToken || stored.seed !== seed);
      const refreshToken = fromConfig ? options.initialRefreshToken : stored?.refreshToken;
      if (!refreshToken) {
        throw new SignrelayError('auth', 'provider_not_authorized',
          `Secured Signing needs OAuth2 tokens and none are stored: ${fix()}`);
      }
      const spent = sha256(refreshToken);
      // An intent for this very token with no result: an earlier refresh sent it and its answer was lost.
      const sentBefore = stored?.refreshIntent === spent ? stored.refreshIntentAt ?? options.now() : null;
      const before: StoredToken = stored ?? { accessToken: null, refreshToken: null, expiresAt: null };
      await record({ ...before, refreshIntent: spent, refreshIntentAt: sentBefore ?? options.now() });
      const answer = await requestToken(endpoint, REFRESH, { grant_type: 'refresh_token', refresh_token: refreshToken },
        fromConfig ? { accessToken: null, refreshToken, expiresAt: null, seed } : stored);
      // The answer carries no intent: saved, it clears the one recorded above.
      if (answer.ok) return answer.token;
      // Another process renewed the chain while this request was out — `signrelay check`
      // refreshing with the daemon's store, `signrelay authorize` storing a new chain — so the
      // token was refused because it was spent there: the row that process saved stands.
      const now = await reload();
      if (now && (now.refreshToken !== before.refreshToken || now.accessToken !== before.accessToken)) {
        if (isUsable(now, options.now())) return now;
        throw new SignrelayError('transient', 'provider_token_renewed_elsewhere',
          'Secured Signing\'s refresh token was renewed by another signrelay process while this one was refreshing it; the next attempt uses the renewed one');
      }
      // A refusal spent nothing: the intent goes back to what it was (so one naming an earlier lost refresh stays).
      await record(before);
      const error = sentBefore !== null && refusalCode(answer.refusal) === 'invalid_grant'
        ? lostRotation(answer.refusal, spent, sentBefore)
        : tokenRefused(REFRESH, answer.refusal);
      tellOperator(spent, error);
      throw error;
    },
  };
}

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const endpoint = securedSigningTokenEndpoint(options);
  const tokens = createManager({ strategy: rotatingRefresh(options, endpoint), store: options.store, now: options.now });
  return {
    accessToken: tokens.accessToken,
    replaceRejected: tokens.replaceRejected,
    exchangeCode: (code, redirectUri) => tokens.obtainWith({
      obtain: () => exchangeCode({ ...options, code, redirectUri, now: options.now() }),
    }),
  };
}
