// Where the Secured Signing API and its OAuth2 server live, from `provider.environment`
// and `provider.oauth_url` (SECURED-SIGNING.md "Hosts"). Pure, so the table of cases is a
// unit test and the simulator can be addressed by URL like the real thing.

export const API_VERSION = 'v1.4';

const KNOWN_ENVIRONMENTS = {
  sandbox: 'https://api.dsx.co.nz/web',
  production: 'https://api.securedsigning.com/web',
} as const;

export interface SecuredSigningEndpoints {
  /** API base including the version, no trailing slash: https://api.dsx.co.nz/web/v1.4 */
  apiBase: string;
  /** OAuth2 base, no trailing slash: https://www.dsx.co.nz/api/oauth2 (+ /token, /authorize). */
  oauthBase: string;
}

export interface EndpointSettings {
  environment: string;
  oauth_url?: string | undefined;
}

const VERSION_SUFFIX_RE = /\/v\d+(\.\d+)*$/i;

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

/** `sandbox` | `production` | a base URL; the version is appended unless already there. */
export function apiBaseUrl(environment: string): string {
  const known = KNOWN_ENVIRONMENTS[environment as keyof typeof KNOWN_ENVIRONMENTS];
  const base = trimSlashes(known ?? new URL(environment).href);
  return VERSION_SUFFIX_RE.test(base) ? base : `${base}/${API_VERSION}`;
}

/**
 * The OAuth2 base. An override that names only a host gets `/api/oauth2`; one with a
 * path is taken as is. Derived: the API origin with a leading `api.` turned into `www.`
 * (what the official SDKs do); other hosts (a local simulator) are kept.
 */
export function oauthBaseUrl(settings: EndpointSettings): string {
  if (settings.oauth_url) {
    const url = new URL(settings.oauth_url);
    const path = trimSlashes(url.pathname);
    return path === '' ? `${url.origin}/api/oauth2` : `${url.origin}${path}`;
  }
  const api = new URL(apiBaseUrl(settings.environment));
  if (api.hostname.startsWith('api.')) api.hostname = `www.${api.hostname.slice('api.'.length)}`;
  return `${api.origin}/api/oauth2`;
}

export function resolveEndpoints(settings: EndpointSettings): SecuredSigningEndpoints {
  return { apiBase: apiBaseUrl(settings.environment), oauthBase: oauthBaseUrl(settings) };
}
