// Access tokens for XOAUTH2 mail login (IMAP and SMTP), from one `auth: {type: oauth2}`
// setting: Microsoft 365 app-only (client credentials grant, scope
// https://outlook.office365.com/.default) or Google (refresh-token grant). A token is
// kept — in memory and in the database — and handed out until it is due for renewal
// (min(60 s, a quarter of its lifetime) before it expires), so every new connection logs
// in with a token that outlives its login. One request to the token endpoint at a time;
// concurrent callers share it. A refresh token Google hands back is saved before the new
// access token is used. A refusal is an operator's matter (named settings, no retry loop
// here: the caller's backoff decides when to ask again). Never logs or returns a secret in
// a message.
import { createHash } from 'node:crypto';
import type { MailOauth2Config } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';
import { maskSecrets } from '../http/mask-secrets.ts';
import { badAnswer, classifyNetworkFailure, type ServiceNames } from '../http/network-failure.ts';
import { tokenFromResponse } from '../http/oauth-token-response.ts';
import { parseRetryAfter } from '../http/retry-after.ts';
import { trustingFetch } from '../http/trusting-fetch.ts';
import { isUsable, refreshDueAt, type StoredToken } from '../store/oauth-tokens.ts';
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

export interface MailAccessToken {
  value: string;
  /** When the token is due for renewal (ms since the epoch): a later connection asks again. */
  renewAt: number;
}

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

interface TokenRequest {
  url: string;
  form: Record<string, string>;
  /** What the answer's token is stored over: keeps the refresh token when the answer has none. */
  previous: StoredToken | null;
}

function tokenRequest(auth: MailOauth2Config, stored: StoredToken | null): TokenRequest {
  const client = { client_id: auth.client_id, client_secret: auth.client_secret };
  if (auth.provider === 'microsoft') {
    return {
      url: auth.token_url ?? microsoftTokenUrl(auth.tenant ?? ''),
      form: { grant_type: 'client_credentials', ...client, scope: auth.scope ?? MICROSOFT_EXCHANGE_SCOPE },
      previous: null,
    };
  }
  // The chain's latest refresh token (Google may hand back a new one), else the configured one.
  const refreshToken = stored?.refreshToken ?? auth.refresh_token ?? '';
  return {
    url: auth.token_url ?? GOOGLE_TOKEN_URL,
    form: { grant_type: 'refresh_token', ...client, refresh_token: refreshToken },
    previous: { accessToken: null, refreshToken, expiresAt: null },
  };
}

export function createMailTokenSource(options: MailTokenSourceOptions): MailTokenSource {
  const { auth, name, store } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? TOKEN_TIMEOUT_MS;
  const origin: TokenOrigin = { provider: auth.provider as MailOauthProvider, settings: options.settings };
  const section = options.settings[0]!;
  const names: ServiceNames = { service: PROVIDER_NAMES[origin.provider], codePrefix: 'mail_oauth', section, urlSetting: `${section}.token_url` };
  const seed = credentialsSeed(auth);
  let doFetch: typeof fetch | undefined;
  let current: StoredToken | null = null;
  let inFlight: Promise<StoredToken> | null = null;
  /** The last token a mail server refused: nobody gets it again. */
  let refused: string | undefined;

  function usable(token: StoredToken | null, rejected?: string): token is StoredToken & { accessToken: string } {
    return isUsable(token, now(), { rejected }) && token.accessToken !== refused;
  }
  const handOut = (token: StoredToken & { accessToken: string }): MailAccessToken =>
    ({ value: token.accessToken, renewAt: refreshDueAt(token) ?? now() });

  /** The stored token of these very credentials (a row from other settings is ignored). */
  function loadOwn(): StoredToken | null {
    const stored = store.load(name);
    return stored && stored.seed === seed ? stored : null;
  }

  const operation = `obtain an access token for ${section}`;

  async function post(request: TokenRequest, secrets: string[]): Promise<{ status: number; headers: Headers; bodyText: string }> {
    // The TLS settings are read (and a bad ca_file reported) at the first request, not at start.
    doFetch ??= trustingFetch(options.fetch ?? fetch, { tls_verify: true, ca_file: auth.ca_file }, section);
    try {
      const response = await doFetch(request.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams(request.form).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, headers: response.headers, bodyText: await response.text() };
    } catch (err) {
      const failure = classifyNetworkFailure(names, operation, err, {});
      throw new SignrelayError(failure.kind, failure.code, maskSecrets(failure.message, secrets));
    }
  }

  async function obtain(rejected: string | undefined): Promise<StoredToken> {
    const stored = loadOwn();
    if (usable(stored, rejected)) return stored;
    const request = tokenRequest(auth, stored);
    const secrets = [auth.client_secret, request.form.refresh_token].filter((v): v is string => !!v);
    const answer = await post(request, secrets);
    if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
      const body = parseJson(answer.bodyText);
      const error = typeof body?.error === 'string' ? body.error : undefined;
      const description = typeof body?.error_description === 'string' ? body.error_description : undefined;
      if (error) throw tokenRefused(origin, { status: answer.status, error, description }, secrets);
    }
    if (answer.status < 200 || answer.status > 299) {
      throw tokenEndpointFailed(origin, answer.status, parseRetryAfter(answer.headers.get('retry-after'), now()));
    }
    const parsed = tokenFromResponse(answer.bodyText, request.previous, now(), DEFAULT_LIFETIME_SECONDS);
    if (!parsed.ok) throw badAnswer(names, operation, parsed.problem);
    const token: StoredToken = { ...parsed.token, seed, obtainedAt: now() };
    // Saved before use: a refresh token Google just rotated exists nowhere else.
    store.save(name, token);
    return token;
  }

  return {
    ...origin,
    clientId: auth.client_id,
    async accessToken(request = {}) {
      const { rejected } = request;
      if (rejected !== undefined) refused = rejected;
      for (;;) {
        if (usable(current, rejected)) return handOut(current);
        if (!inFlight) {
          inFlight = obtain(rejected).finally(() => (inFlight = null));
          current = await inFlight;
          if (!usable(current, rejected)) {
            throw new SignrelayError('transient', 'mail_oauth_short_lived',
              `${PROVIDER_NAMES[origin.provider]} issued an access token for ${section} that expires at once; will retry`);
          }
          return handOut(current);
        }
        // Someone else's request is under way: its token is ours too (unless it is the rejected one).
        current = await inFlight;
      }
    },
  };
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A store that forgets on exit, for one-off checks where no database is at hand. */
export function memoryTokenStore(): MailTokenStore {
  const rows = new Map<string, StoredToken>();
  return { load: (name) => rows.get(name) ?? null, save: (name, token) => void rows.set(name, token) };
}
