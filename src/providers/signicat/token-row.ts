// Where Signicat's access token is kept: one oauth_tokens row per token endpoint, client and
// scope. A token belongs to the client it was granted to: kept under one name, a switch from a
// test client to the production one (both on api.signicat.com) went on inviting real signers
// through the test account until the token expired, and a scope set right kept the old
// token's 403s — while `check`, with a grant of its own, said all was well (Signicat review
// M1). The row is named by a hash of the three: it tells them apart and names no secret.
import { createHash } from 'node:crypto';
import type { SignicatConfig } from '../../config/schema.ts';
import { loadToken, saveToken, type StoredToken } from '../../store/oauth-tokens.ts';
import type { Db } from '../../store/open-database.ts';

export function signicatTokenName(config: Pick<SignicatConfig, 'token_url' | 'client_id' | 'scope'>): string {
  const client = JSON.stringify([config.token_url, config.client_id, config.scope]);
  return `signicat:${createHash('sha256').update(client).digest('hex').slice(0, 16)}`;
}

export function signicatTokenStore(db: Db, config: Pick<SignicatConfig, 'token_url' | 'client_id' | 'scope'>): { load(): StoredToken | null; save(token: StoredToken): void } {
  const name = signicatTokenName(config);
  return {
    load: () => loadToken(db, name),
    save: (token) => saveToken(db, name, token, new Date()),
  };
}
