// Where Secured Signing's OAuth2 tokens are kept: one oauth_tokens row per API key. The
// tokens belong to the key, and a rotation needs the old key's and the new key's at once:
// `signrelay authorize` for the new key (and `check` testing it) must not replace the
// tokens the running daemon still uses with the old key until it is restarted on the new one. The row
// is named by a hash of provider.api_key — the key is the client id sent in every call's
// header, not the secret (provider.api_secret), and the hash only tells keys apart.
import { createHash } from 'node:crypto';
import { loadToken, saveToken, type StoredToken } from '../../store/oauth-tokens.ts';
import type { Db } from '../../store/open-database.ts';

/** The row of the tokens kept before they were kept per key: read until the key's own row is written. */
export const SHARED_TOKEN_NAME = 'secured-signing';

export function securedSigningTokenName(apiKey: string): string {
  return `${SHARED_TOKEN_NAME}:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}

/** The token store of one API key: its own row; while it has none, the shared row of an older installation (left in place: a daemon on another key may still read it). */
export function securedSigningTokenStore(db: Db, apiKey: string): { load(): StoredToken | null; save(token: StoredToken): void } {
  const name = securedSigningTokenName(apiKey);
  return {
    load: () => loadToken(db, name) ?? loadToken(db, SHARED_TOKEN_NAME),
    save: (token) => saveToken(db, name, token, new Date()),
  };
}
