// The OAuth2 authorization-code flow of Secured Signing (seed 001), the pure parts and the
// one exchange: the authorize URL with a random `state`, reading the code back from the
// redirect (checking `state` — a redirect we did not ask for is refused), and trading the
// code for the first access and refresh tokens at the token endpoint oauth.ts refreshes at.
import { randomBytes } from 'node:crypto';
import { SignrelayError } from '../../errors.ts';
import { maskSecrets } from '../../http/mask-secrets.ts';
import { requestToken } from '../../http/token-endpoint.ts';
import type { StoredToken } from '../../store/oauth-tokens.ts';
import { securedSigningTokenEndpoint } from './token-endpoint.ts';

/**
 * The scopes signrelay uses, and no more: SmartTag (upload, SmartTag/Send), Basic (account
 * information — Account/Info for `check`, seed 001: "Basic to get account details" — and
 * the document calls). `Account` is account management (settings): nothing signrelay does.
 */
export const DEFAULT_SCOPE = 'Basic SmartTag';

const EXCHANGE = 'exchange the authorization code (POST /api/oauth2/token)';

export function newState(): string {
  return randomBytes(16).toString('hex');
}

export function authorizeUrl(oauthBase: string, input: { apiKey: string; redirectUri: string; scope: string; state: string }): string {
  const url = new URL(`${oauthBase}/authorize`);
  url.search = new URLSearchParams({ response_type: 'code', client_id: input.apiKey, redirect_uri: input.redirectUri, scope: input.scope, state: input.state }).toString();
  return url.href;
}

export type RedirectResult = { code: string } | { problem: string };

/** The code from the URL Secured Signing redirected the browser to, if it is ours. */
export function codeFromRedirect(redirected: string, expectedState: string): RedirectResult {
  let url: URL;
  try {
    url = new URL(redirected.trim());
  } catch {
    return { problem: 'that is not a URL: paste the whole address from the browser\'s address bar' };
  }
  // A redirect with another state is an old or forged one: its words are not told. Secured
  // Signing's refusals (an unknown scope) carry no state, so one without a state is told as
  // what it says, unverified — any web page open in the browser can send such a redirect, and
  // its text is printed escaped (variants review L2, diff review 24 M1).
  const state = url.searchParams.get('state');
  const error = url.searchParams.get('error');
  if (state !== expectedState && (state !== null || !error)) {
    return { problem: 'the redirect does not carry the state of this authorization (an old or forged link): open the URL printed above and try again' };
  }
  if (error) {
    const said = `${error}${url.searchParams.get('error_description') ? ` (${url.searchParams.get('error_description')})` : ''}`;
    return { problem: state === null ? `a refusal came back without this authorization's state (Secured Signing's, if nothing else sent it): ${said}` : `Secured Signing refused the authorization: ${said}` };
  }
  const code = url.searchParams.get('code');
  return code ? { code } : { problem: 'the redirect carries no code' };
}

export async function exchangeCode(input: {
  oauthBase: string; apiKey: string; apiSecret: string; redirectUri: string; code: string; now: number;
  /** The provider's fetch (trustingFetch: provider.ca_file / tls_verify apply here too). */
  fetch: typeof fetch;
  timeoutMs: number;
}): Promise<StoredToken> {
  const endpoint = securedSigningTokenEndpoint({ ...input, now: () => input.now });
  const answer = await requestToken(endpoint, EXCHANGE, { grant_type: 'authorization_code', code: input.code, redirect_uri: input.redirectUri }, null);
  if (!answer.ok) {
    const { error, description, status } = answer.refusal;
    const said = error ? maskSecrets([error, description].filter(Boolean).join(': '), [input.apiSecret, input.code]) : `HTTP ${status}`;
    throw new SignrelayError('auth', 'provider_code_refused',
      `Secured Signing refused to exchange the authorization code (${said}): check provider.api_key and provider.api_secret, that the redirect URI is the one registered with the key, and authorize again (a code works once, for a few minutes)`);
  }
  if (!answer.token.refreshToken) throw new SignrelayError('auth', 'provider_no_refresh_token', 'Secured Signing granted no refresh token: check that the API key has OAuth2 enabled');
  return answer.token;
}
