// The standard OAuth2 grants as token-manager strategies (http/token-manager.ts), for any
// token endpoint (http/token-endpoint.ts): client credentials (ServiceNow, Microsoft 365
// mail, Signicat), the password grant (ServiceNow) and the refresh-token grant (Google
// mail, ServiceNow's stored refresh token). A refusal is thrown in the service's words. A
// grant that needs more — Secured Signing's rotating refresh with its intent and lock-out
// notice, its code exchange — calls requestToken itself.
import { grantToken, type TokenEndpoint } from './token-endpoint.ts';
import type { TokenStrategy } from './token-manager.ts';

export interface GrantOptions {
  /** Words for messages: "obtain an access token for mailboxes.requests.auth". */
  operation?: string | undefined;
}

/** RFC 6749 §4.4. No refresh token comes with it: when the token is due, the grant simply runs again. */
export function clientCredentialsGrant(endpoint: TokenEndpoint, options: GrantOptions & { scope?: string | undefined } = {}): TokenStrategy {
  const operation = options.operation ?? 'obtain an OAuth2 access token (client_credentials grant)';
  const form: Record<string, string> = { grant_type: 'client_credentials', ...(options.scope ? { scope: options.scope } : {}) };
  return { obtain: () => grantToken(endpoint, operation, form, null) };
}

/** RFC 6749 §4.3: a user's name and password (ServiceNow's integration user). */
export function passwordGrant(endpoint: TokenEndpoint, options: GrantOptions & { username: string; password: string }): TokenStrategy {
  const operation = options.operation ?? 'obtain an OAuth2 access token (password grant)';
  const form = { grant_type: 'password', username: options.username, password: options.password };
  return { obtain: () => grantToken(endpoint, operation, form, null) };
}

/**
 * RFC 6749 §6, with the chain's latest refresh token (a rotating service hands back a new
 * one, saved with the access token), else `configured`. An answer without a refresh token
 * keeps the one spent.
 */
export function refreshTokenGrant(endpoint: TokenEndpoint, options: GrantOptions & { configured?: string | undefined } = {}): TokenStrategy {
  const operation = options.operation ?? 'refresh the OAuth2 access token';
  return {
    obtain(stored) {
      const refreshToken = stored?.refreshToken ?? options.configured ?? '';
      const previous = { accessToken: null, refreshToken, expiresAt: null, scope: stored?.scope ?? null, seed: stored?.seed ?? null };
      return grantToken(endpoint, operation, { grant_type: 'refresh_token', refresh_token: refreshToken }, previous);
    },
  };
}
