// `signrelay authorize` through the seam: the provider's authorization-code flow, if it has
// one. Secured Signing (OAuth2 keys) does — the operator signs in once in a browser and the
// first refresh token is stored where the daemon finds it; Signicat uses client
// credentials, so there is nothing to authorize. The command itself names no provider.
import { createHash } from 'node:crypto';
import type { ProviderConfig } from '../config/schema.ts';
import { trustingFetch } from '../http/trusting-fetch.ts';
import type { StoredToken } from '../store/oauth-tokens.ts';
import { authorizeUrl, codeFromRedirect, DEFAULT_SCOPE, exchangeCode, newState, type RedirectResult } from './secured-signing/authorization-code.ts';
import { oauthBaseUrl } from './secured-signing/endpoints.ts';
import { securedSigningTokenName } from './secured-signing/token-row.ts';
import { operatorCommand } from '../service-unit.ts';

export { codeFromRedirect, DEFAULT_SCOPE as DEFAULT_AUTHORIZATION_SCOPE, newState, type RedirectResult };

export interface AuthorizationFlow {
  /** "Secured Signing": who the operator signs in to. */
  displayName: string;
  /** The oauth_tokens row the daemon reads: the API key's own, so a new key's tokens do not replace the old key's. */
  tokenName: string;
  authorizeUrl(input: { redirectUri: string; scope: string; state: string }): string;
  /** Trades the code for the first tokens, ready to store (with the chain's seed). */
  exchange(input: { code: string; redirectUri: string; now: number }): Promise<StoredToken>;
}

/** The flow, or why there is nothing to authorize (an operator's message naming the setting). */
export function authorizationFlow(config: ProviderConfig): AuthorizationFlow | { nothing: string } {
  if (config.type === 'signicat') {
    return { nothing: `provider.type is signicat, which signs in with client credentials (provider.client_id, provider.client_secret): there is nothing to authorize; \`${operatorCommand('check')}\` tests them` };
  }
  if (!config.oauth) return { nothing: 'provider.oauth is false (an API key without OAuth2): there is nothing to authorize' };
  const oauthBase = oauthBaseUrl(config);
  return {
    displayName: 'Secured Signing',
    tokenName: securedSigningTokenName(config.api_key),
    authorizeUrl: (input) => authorizeUrl(oauthBase, { apiKey: config.api_key, ...input }),
    async exchange({ code, redirectUri, now }) {
      const token = await exchangeCode({
        oauthBase, apiKey: config.api_key, apiSecret: config.api_secret, redirectUri, code, now,
        fetch: trustingFetch(fetch, config, 'provider'), timeoutMs: config.timeout_seconds * 1000,
      });
      // The chain starts from the configured refresh token, if there is one, so the daemon
      // keeps this one instead of going back to the configured token (see oauth.ts).
      const seed = config.refresh_token ? createHash('sha256').update(config.refresh_token).digest('hex') : null;
      return { ...token, seed };
    },
  };
}
