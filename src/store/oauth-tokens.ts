// OAuth tokens, persisted so a rotated refresh token survives a restart.
import type { Db } from './open-database.ts';

export interface StoredToken {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: number | null; // ms since epoch
  scope?: string | null;
  /** sha256 of the configured refresh token the stored chain started from. */
  seed?: string | null;
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
  };
}

export function saveToken(db: Db, name: string, token: StoredToken, now: Date): void {
  db.prepare(`INSERT INTO oauth_tokens (name, access_token, refresh_token, expires_at, scope, seed, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(name) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token,
      expires_at = excluded.expires_at, scope = excluded.scope, seed = excluded.seed, updated_at = excluded.updated_at`)
    .run(name, token.accessToken, token.refreshToken, token.expiresAt, token.scope ?? null, token.seed ?? null, now.toISOString());
}
