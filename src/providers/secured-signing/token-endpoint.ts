// Secured Signing's OAuth2 token endpoint (SECURED-SIGNING.md "Authentication"):
// `POST {oauthBase}/token`, the API key and secret in the form, and how its failures are
// worded. Shared by the refresh (oauth.ts) and the code exchange (authorization-code.ts).
import { SignrelayError } from '../../errors.ts';
import { namedFailures, type TokenEndpoint, type TokenRefusal } from '../../http/token-endpoint.ts';
import { SECURED_SIGNING, serverMessage } from './classify-error.ts';
import { operatorCommand } from '../../service-unit.ts';

export interface SecuredSigningTokenOptions {
  oauthBase: string;
  apiKey: string;
  apiSecret: string;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
}

/** When a token answer states no lifetime: short enough to be safe. */
const DEFAULT_LIFETIME_SECONDS = 3600;

/** The OAuth error code of a refusal (invalid_grant, invalid_client), in either body shape the service uses. */
export const refusalCode = (refusal: TokenRefusal) => serverMessage(refusal.bodyText).errorCode;

export function tokenRefused(operation: string, refusal: TokenRefusal): SignrelayError {
  const code = refusalCode(refusal);
  return new SignrelayError('auth', 'provider_token_refused',
    `Secured Signing refused to ${operation} (HTTP ${refusal.status}${code ? ` ${code}` : ''}): ` +
    `check provider.api_key and provider.api_secret; if the refresh token expired or was revoked (or a backup of signrelay.db was restored: the token it holds was spent since), run \`${operatorCommand('authorize')}\``);
}

export function securedSigningTokenEndpoint(options: SecuredSigningTokenOptions): TokenEndpoint {
  return {
    url: `${options.oauthBase}/token`,
    clientId: options.apiKey,
    clientSecret: options.apiSecret,
    clientAuth: 'form',
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    now: options.now,
    defaultLifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
    failures: {
      ...namedFailures(SECURED_SIGNING, { timeoutSeconds: options.timeoutMs / 1000, tokenSetting: 'provider.oauth_url (and provider.environment)', now: options.now }),
      refused: tokenRefused,
    },
  };
}
