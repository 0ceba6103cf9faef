// OAuth tokens, persisted so a rotated refresh token survives a restart, with the intent of
// a refresh under way (a hash of the refresh token being spent, never the token) and when
// the access token was obtained. Also the rule for when a stored token is due for refresh.
import type { Db } from './open-database.ts';

export interface StoredToken {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: number | null; // ms since epoch
  scope?: string | null;
  /** sha256 of the configured refresh token the stored chain started from. */
  seed?: string | null;
  /** When the access token was obtained (ms since epoch); with expiresAt, its lifetime. */
  obtainedAt?: number | null;
  /** sha256 of a refresh token sent to the token endpoint whose answer was not saved yet. */
  refreshIntent?: string | null;
  /** When that refresh token was first sent (ms since epoch). */
  refreshIntentAt?: number | null;
}

/** The early-refresh margin's ceiling; a short-lived token gets a quarter of its lifetime instead. */
export const MAX_EARLY_REFRESH_MS = 60_000;

/**
 * When a token is due for refresh: min(maxMarginMs, a quarter of its lifetime) before it
 * expires — early enough that a call never carries a token about to die, late enough that
 * a short-lived token is not refreshed on every call. Without a known lifetime (a row saved
 * before obtained_at existed) the full margin applies.
 */
export function refreshDueAt(token: Pick<StoredToken, 'expiresAt' | 'obtainedAt'>, maxMarginMs = MAX_EARLY_REFRESH_MS): number | null {
  if (token.expiresAt === null) return null;
  const lifetime = typeof token.obtainedAt === 'number' ? token.expiresAt - token.obtainedAt : Infinity;
  return token.expiresAt - Math.min(maxMarginMs, Math.max(0, lifetime) / 4);
}

/** Whether a token can be used now: it has an access token that the service did not just refuse (`rejected`) and is not due for refresh. */
export function isUsable<T extends Pick<StoredToken, 'accessToken' | 'expiresAt' | 'obtainedAt'>>(
  token: T | null, now: number, options: { rejected?: string | undefined; maxMarginMs?: number } = {},
): token is T & { accessToken: string } {
  if (!token?.accessToken || token.accessToken === options.rejected) return false;
  const due = refreshDueAt(token, options.maxMarginMs);
  return due !== null && due > now;
}

export function loadToken(db: Db, name: string): StoredToken | null {
  const row = db.prepare('SELECT * FROM oauth_tokens WHERE name = ?').get(name) as Record<string, unknown> | undefined;
  if (!row) return null;
  return {
    accessToken: (row.access_token as string | null) ?? null,
    refreshToken: (row.refresh_token as string | null) ?? null,
    expiresAt: (row.expires_at as number | null) ?? null,
    scope: (row.scope as string | null) ?? null,
    seed: (row.seed as string | null) ?? null,
    obtainedAt: (row.obtained_at as number | null) ?? null,
    refreshIntent: (row.refresh_intent as string | null) ?? null,
    refreshIntentAt: (row.refresh_intent_at as number | null) ?? null,
  };
}

export function saveToken(db: Db, name: string, token: StoredToken, now: Date): void {
  db.prepare(`INSERT INTO oauth_tokens (name, access_token, refresh_token, expires_at, scope, seed, obtained_at, refresh_intent, refresh_intent_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(name) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
      expires_at = excluded.expires_at, scope = excluded.scope, seed = excluded.seed, obtained_at = excluded.obtained_at,
      refresh_intent = excluded.refresh_intent, refresh_intent_at = excluded.refresh_intent_at, updated_at = excluded.updated_at`)
    .run(name, token.accessToken, token.refreshToken, token.expiresAt, token.scope ?? null, token.seed ?? null,
      token.obtainedAt ?? null, token.refreshIntent ?? null, token.refreshIntentAt ?? null, now.toISOString());
}
