// The one place a provider is made from the configuration: the daemon, `check`, `cancel`,
// the scheduler and the demo hold only the SigningProvider it returns. Its OAuth tokens
// are kept in the daemon's database (a rotated refresh token must survive a restart):
// Signicat's per token endpoint, client and scope (signicat/token-row.ts), Secured Signing's
// per API key (secured-signing/token-row.ts).
import type { ProviderConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { StoredToken } from '../store/oauth-tokens.ts';
import type { Db } from '../store/open-database.ts';
import type { SigningProvider } from './provider.ts';
import { createSecuredSigningClient } from './secured-signing/client.ts';
import { securedSigningTokenStore } from './secured-signing/token-row.ts';
import { createSignicatClient } from './signicat/client.ts';
import { signicatTokenStore } from './signicat/token-row.ts';

export interface ProviderDeps {
  /** Where tokens are kept (oauth_tokens). */
  db: Db;
  logger: Logger;
  /** Told when the provider refuses signrelay's credentials for good (an operator must act). */
  lockedOut?: (notice: { subject: string; text: string }) => void;
  fetch?: typeof fetch;
  now?: () => number;
  /** Signicat's tokens kept elsewhere than in `db` (check: its own fresh grant). */
  tokenStore?: { load(): StoredToken | null; save(token: StoredToken): void };
}

export function createProvider(config: ProviderConfig, deps: ProviderDeps): SigningProvider {
  const common = { fetch: deps.fetch, now: deps.now };
  if (config.type === 'signicat') {
    const tokenStore = deps.tokenStore ?? signicatTokenStore(deps.db, config);
    return createSignicatClient({ config, tokenStore, logger: deps.logger.child({ component: 'signicat' }), ...common });
  }
  return createSecuredSigningClient({
    config, tokenStore: { ...securedSigningTokenStore(deps.db, config.api_key), lockedOut: deps.lockedOut }, logger: deps.logger.child({ component: 'secured-signing' }), ...common,
  });
}
