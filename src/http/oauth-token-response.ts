// An OAuth2 token endpoint's JSON answer turned into the token we store — the same rules
// for every service: `expires_in` may be a string, and an answer without a refresh_token
// keeps the previous one (it stays valid), as does the scope. Pure.
import type { StoredToken } from '../store/oauth-tokens.ts';

export type TokenResponse =
  | { ok: true; token: StoredToken }
  | { ok: false; problem: 'the token response is not JSON' | 'the token response has no access_token'; cause?: unknown };

export function tokenFromResponse(bodyText: string, previous: StoredToken | null | undefined, now: number, defaultLifetimeSeconds: number): TokenResponse {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(bodyText) as Record<string, unknown>;
  } catch (cause) {
    return { ok: false, problem: 'the token response is not JSON', cause };
  }
  if (body === null || typeof body !== 'object' || typeof body.access_token !== 'string' || body.access_token === '') {
    return { ok: false, problem: 'the token response has no access_token' };
  }
  const lifetime = Number(body.expires_in);
  const seconds = Number.isFinite(lifetime) && lifetime > 0 ? lifetime : defaultLifetimeSeconds;
  return {
    ok: true,
    token: {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : previous?.refreshToken ?? null,
      expiresAt: now + seconds * 1000,
      scope: typeof body.scope === 'string' ? body.scope : previous?.scope ?? null,
      seed: previous?.seed ?? null,
    },
  };
}
