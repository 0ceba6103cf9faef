// Access tokens for XOAUTH2 mail login (IMAP and SMTP), from one `auth: {type: oauth2}`
// setting: Microsoft 365 app-only (client credentials grant, scope
// https://outlook.office365.com/.default) or Google (refresh-token grant). A token is
// kept — in memory and in the database — and handed out until it is due for renewal, so
// every new connection logs in with a token that outlives its login. The mechanics (one
// request at a time, early renewal, saved before use — a refresh token Google rotates
// exists nowhere else —, a refused token replaced once) are the shared token manager's
// (http/token-manager.ts); what is mail's own is here: which grant, which row (per set of
// credentials), and messages that name the settings to fix. A refusal is an operator's
// matter (no retry loop here: the caller's backoff decides when to ask again). Never logs
// or returns a secret in a message.
import { createHash } from 'node:crypto';
import type { MailOauth2Config } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';
import { maskSecrets } from '../http/mask-secrets.ts';
import { badAnswer, classifyNetworkFailure, redirectRefused, type ServiceNames } from '../http/network-failure.ts';
import { clientCredentialsGrant, refreshTokenGrant } from '../http/oauth-grants.ts';
import { parseRetryAfter } from '../http/retry-after.ts';
import type { TokenEndpoint } from '../http/token-endpoint.ts';
import { createTokenManager, type AccessToken, type TokenStrategy } from '../http/token-manager.ts';
import { trustingFetch } from '../http/trusting-fetch.ts';
import type { StoredToken } from '../store/oauth-tokens.ts';
import { PROVIDER_NAMES, tokenEndpointFailed, tokenRefused, type MailOauthProvider, type TokenOrigin } from './mail-oauth-messages.ts';

export const MICROSOFT_EXCHANGE_SCOPE = 'https://outlook.office365.com/.default';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const microsoftTokenUrl = (tenant: string) => `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;

/** Both providers' tokens live about an hour; used when an answer states no lifetime. */
const DEFAULT_LIFETIME_SECONDS = 3600;
const TOKEN_TIMEOUT_MS = 30_000;

/** Where a source keeps its token: a row of the oauth_tokens table, or memory. */
export interface MailTokenStore {
  load(name: string): StoredToken | null;
  /** Synchronous, so a rotated refresh token is on disk before anything else runs. */
  save(name: string, token: StoredToken): void;
}

/** The token and when it is due for renewal: a later connection asks again. */
export type MailAccessToken = AccessToken;

export interface MailTokenSource extends TokenOrigin {
  clientId: string;
  /**
   * A token that stays valid past the early-refresh margin. `rejected`: a mail server just
   * refused this token — get another one unless a newer one is already at hand.
   */
  accessToken(options?: { rejected?: string | undefined }): Promise<MailAccessToken>;
}

export interface MailTokenSourceOptions {
  auth: MailOauth2Config;
  /** The settings holding `auth` (first the one messages name), e.g. ['mailboxes.requests.auth']. */
  settings: readonly string[];
  /** Row name in the token store, e.g. mail:requests. */
  name: string;
  store: MailTokenStore;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}

/** Stable identity of the configured credentials: a changed setting starts a new chain. Hashed: it is stored. */
export function credentialsSeed(auth: MailOauth2Config): string {
  const parts = [auth.provider, auth.tenant ?? '', auth.client_id, auth.scope ?? '', auth.token_url ?? '', auth.refresh_token ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The endpoint of `auth`'s provider, its failures worded for the settings that hold `auth`. */
function mailTokenEndpoint(auth: MailOauth2Config, origin: TokenOrigin, fetchFn: typeof fetch, now: () => number, timeoutMs: number): TokenEndpoint {
  const section = origin.settings[0]!;
  const names: ServiceNames = { service: PROVIDER_NAMES[origin.provider], codePrefix: 'mail_oauth', section, urlSetting: `${section}.token_url` };
  const microsoft = auth.provider === 'microsoft';
  return {
    url: auth.token_url ?? (microsoft ? microsoftTokenUrl(auth.tenant ?? '') : GOOGLE_TOKEN_URL),
    clientId: auth.client_id, clientSecret: auth.client_secret, clientAuth: 'form',
    fetch: fetchFn, timeoutMs, now, defaultLifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
    failures: {
      network(operation, err, secrets) {
        const failure = classifyNetworkFailure(names, operation, err, {});
        return new SignrelayError(failure.kind, failure.code, maskSecrets(failure.message, secrets));
      },
      // A 4xx without an OAuth error is not the provider speaking: the URL is wrong.
      refused: (_operation, refusal, secrets) => (refusal.error ? tokenRefused(origin, refusal, secrets) : tokenEndpointFailed(origin, refusal.status, undefined)),
      failed: (operation, answer) => redirectRefused(names, operation, answer) ?? tokenEndpointFailed(origin, answer.status, parseRetryAfter(answer.headers.get('retry-after'), now())),
      badAnswer: (operation, problem) => badAnswer(names, operation, problem),
    },
  };
}

/** Microsoft: client credentials with the Exchange Online scope; Google: the refresh-token grant. */
function mailGrant(auth: MailOauth2Config, operation: string, endpoint: TokenEndpoint): TokenStrategy {
  return auth.provider === 'microsoft'
    ? clientCredentialsGrant(endpoint, { operation, scope: auth.scope ?? MICROSOFT_EXCHANGE_SCOPE })
    : refreshTokenGrant(endpoint, { operation, configured: auth.refresh_token });
}

export function createMailTokenSource(options: MailTokenSourceOptions): MailTokenSource {
  const { auth, name, store } = options;
  const now = options.now ?? Date.now;
  const origin: TokenOrigin = { provider: auth.provider as MailOauthProvider, settings: options.settings };
  const section = options.settings[0]!;
  const seed = credentialsSeed(auth);
  const operation = `obtain an access token for ${section}`;
  // The TLS settings are read (and a bad ca_file reported) at the first request, not at start.
  const grantOf = () => mailGrant(auth, operation, mailTokenEndpoint(auth, origin,
    trustingFetch(options.fetch ?? fetch, { tls_verify: true, ca_file: auth.ca_file }, section), now, options.timeoutMs ?? TOKEN_TIMEOUT_MS));
  let grant: TokenStrategy | undefined;
  const tokens = createTokenManager({
    // Only the row of these very credentials: one saved under other settings is another chain.
    store: {
      load: () => {
        const stored = store.load(name);
        return stored?.seed === seed ? stored : null;
      },
      save: (token) => store.save(name, { ...token, seed }),
    },
    strategy: { obtain: (stored, io) => (grant ??= grantOf()).obtain(stored, io) },
    now,
    unusable: () => new SignrelayError('transient', 'mail_oauth_short_lived',
      `${PROVIDER_NAMES[origin.provider]} issued an access token for ${section} that expires at once; will retry`),
  });
  return { ...origin, clientId: auth.client_id, accessToken: (request = {}) => tokens.token(request.rejected) };
}

/** A store that forgets on exit, for one-off checks where no database is at hand. */
export function memoryTokenStore(): MailTokenStore {
  const rows = new Map<string, StoredToken>();
  return { load: (name) => rows.get(name) ?? null, save: (name, token) => void rows.set(name, token) };
}
