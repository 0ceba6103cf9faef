// The simulator's OIDC token endpoint (client credentials only) and the bearer check every
// API call runs first. Signicat has two: the old platform's `/oidc/token`, where clients
// authenticate with HTTP Basic, and the new platform's `/auth/open/connect/token`, where the
// SDK sends client_id and client_secret in the form. One public client sends Basic to the
// new one, so both styles are taken at both paths (RFC 6749 §2.3.1 allows either). Both
// paths answer alike: `{access_token, token_type: "Bearer", expires_in (number), scope}`.
// Unconfirmed: Duende/IdentityServer-style servers answer invalid_client with 400 where
// RFC 6749 §5.2 says 401 for a failed Basic login; the simulator answers 401 for any
// wrong client, so a client must treat both as a credential problem. Tokens are opaque
// (real ones are JWTs; nothing the API needs is read from them).
import { randomBytes } from 'node:crypto';

export interface TokenClient {
  secret: string;
  /** Scopes this client may ask for; default ['signicat-api']. */
  scopes?: string[];
}

export interface TokenServerOptions {
  clients: Record<string, TokenClient>;
  accessTokenLifetimeSeconds: number;
  now: () => number;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface IssuedToken {
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

export const DEFAULT_SCOPES = ['signicat-api'];

const oauthError = (status: number, error: string, description: string, headers?: Record<string, string>): TokenAnswer =>
  ({ status, body: { error, error_description: description }, ...(headers ? { headers } : {}) });

/** HTTP Basic credentials (RFC 6749 §2.3.1: each part form-urlencoded), or null. */
function basicCredentials(authorization: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { id: decoded, secret: '' };
  const part = (text: string) => {
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      return text;
    }
  };
  return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
}

export class SignicatTokenServer {
  private readonly options: TokenServerOptions;
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(options: TokenServerOptions) {
    this.options = options;
  }

  /** `POST` to a token path: the form and the Authorization header. */
  token(form: URLSearchParams, authorization: string | undefined): TokenAnswer {
    const basic = basicCredentials(authorization);
    const formId = form.get('client_id');
    if (basic && formId !== null && formId !== basic.id) {
      return oauthError(400, 'invalid_request', 'client_id in the form differs from the one in the Authorization header');
    }
    const id = basic?.id ?? formId;
    const secret = basic ? basic.secret : form.get('client_secret');
    const client = id === null ? undefined : this.options.clients[id];
    if (!client || secret === null || client.secret !== secret) {
      return oauthError(401, 'invalid_client', 'Client authentication failed', basic ? { 'WWW-Authenticate': 'Basic realm="signicat"' } : undefined);
    }
    const grant = form.get('grant_type');
    if (grant === null) return oauthError(400, 'invalid_request', 'grant_type is missing');
    if (grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
    const allowed = client.scopes ?? DEFAULT_SCOPES;
    const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const refused = asked.filter((s) => !allowed.includes(s));
    if (refused.length > 0) return oauthError(400, 'invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
    const scopes = asked.length > 0 ? asked : allowed;
    return { status: 200, body: { access_token: this.issue(id!, scopes), token_type: 'Bearer', expires_in: this.options.accessTokenLifetimeSeconds, scope: scopes.join(' ') } };
  }

  /** Mints a valid token directly (tests that are not about the token call). */
  issue(clientId: string, scopes: string[] = DEFAULT_SCOPES): string {
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, { clientId, scopes, expiresAt: this.options.now() + this.options.accessTokenLifetimeSeconds * 1000 });
    return accessToken;
  }

  /** The token behind an Authorization header, or why not: 'missing' | 'invalid' (unknown, expired, revoked). */
  bearer(authorization: string | undefined): IssuedToken | 'missing' | 'invalid' {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return 'missing';
    const token = this.tokens.get(match[1]!);
    if (!token || token.expiresAt <= this.options.now()) return 'invalid';
    return token;
  }

  revokeAll(): void {
    this.tokens.clear();
  }
}
