// OAuth2 tokens for ServiceNow (SERVICENOW.md "Authentication"): `POST /oauth_token.do`,
// form-urlencoded only, with the password grant (access + refresh token) or the
// client_credentials grant (Washington DC+, access token only). A stored refresh token is
// used first; when the instance refuses it (expired after its 100 days, revoked) the
// configured grant runs again — signrelay holds those credentials, so no operator step is
// needed. The mechanics (one request at a time, the store re-read first, early renewal,
// saved before use, a refused token replaced once) are the shared token manager's.
import { SignrelayError, isSignrelayError } from '../errors.ts';
import { clientCredentialsGrant, passwordGrant, refreshTokenGrant } from '../http/oauth-grants.ts';
import { namedFailures, type TokenEndpoint, type TokenRefusal } from '../http/token-endpoint.ts';
import { createTokenManager as createManager, type TokenManager as Manager, type TokenStrategy } from '../http/token-manager.ts';
import { mask, SERVICENOW, serviceNowMessage } from './classify-error.ts';
import type { ServiceNowTokenStore } from './types.ts';

export interface TokenManagerOptions {
  /** {instance}/oauth_token.do */
  tokenUrl: string;
  grant: 'password' | 'client_credentials';
  clientId: string;
  clientSecret: string;
  user?: string | undefined;
  password?: string | undefined;
  store: ServiceNowTokenStore;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
}

export type TokenManager = Pick<Manager, 'accessToken' | 'replaceRejected'>;

/** ServiceNow's default access-token lifetime, when a response states none. */
const DEFAULT_LIFETIME_SECONDS = 1800;

/** oauth_token.do answers 401 {"error":"server_error","error_description":"access_denied"} for wrong credentials and dead refresh tokens alike. */
function refused(grant: TokenManagerOptions['grant'], operation: string, refusal: TokenRefusal, secrets: string[]): SignrelayError {
  const { message, detail } = serviceNowMessage(refusal.bodyText);
  const words = [message, detail].filter(Boolean).join(' ');
  const fix = grant === 'client_credentials'
    ? 'check servicenow.auth.client_id and servicenow.auth.client_secret, that the OAuth application allows the client_credentials grant ' +
      '(glide.oauth.inbound.client.credential.grant_type.enabled) and has an OAuth Application User'
    : 'check servicenow.auth.client_id, servicenow.auth.client_secret, servicenow.auth.user and servicenow.auth.password, ' +
      'and that the integration user is active and not locked out';
  return new SignrelayError('auth', 'servicenow_token_refused',
    `ServiceNow refused to ${operation} (HTTP ${refusal.status}${words ? `: ${mask(words, secrets)}` : ''}): ${fix}`);
}

export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const endpoint: TokenEndpoint = {
    url: options.tokenUrl, clientId: options.clientId, clientSecret: options.clientSecret, clientAuth: 'form',
    fetch: options.fetch, timeoutMs: options.timeoutMs, now: options.now, defaultLifetimeSeconds: DEFAULT_LIFETIME_SECONDS,
    secrets: [options.password].filter((v): v is string => !!v),
    failures: {
      ...namedFailures(SERVICENOW, { timeoutSeconds: options.timeoutMs / 1000, tokenSetting: 'servicenow.instance_url (its /oauth_token.do)', now: options.now }),
      refused: (operation, refusal, secrets) => refused(options.grant, operation, refusal, secrets),
    },
  };
  const configured = options.grant === 'client_credentials'
    ? clientCredentialsGrant(endpoint, { operation: 'obtain an OAuth access token (client_credentials grant)' })
    : passwordGrant(endpoint, { operation: 'obtain an OAuth access token (password grant)', username: options.user ?? '', password: options.password ?? '' });
  const refresh = refreshTokenGrant(endpoint, { operation: 'refresh the OAuth access token' });
  const strategy: TokenStrategy = {
    async obtain(stored, io) {
      if (stored?.refreshToken) {
        try {
          return await refresh.obtain(stored, io);
        } catch (err) {
          // A refused refresh token (expired, revoked, another client's) is replaced by a new
          // grant; a network or server failure is not, or one outage would burn the grant too.
          if (!isSignrelayError(err) || err.kind !== 'auth') throw err;
        }
      }
      return configured.obtain(stored, io);
    },
  };
  return createManager({ strategy, store: options.store, now: options.now });
}
