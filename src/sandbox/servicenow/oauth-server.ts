// The simulator's `/oauth_token.do` and bearer check (SERVICENOW.md "Authentication"):
// form-urlencoded only (a JSON body fails like the real one: 401 access_denied), the
// password, refresh_token and client_credentials grants, `expires_in` as a number one
// second under the lifetime (1799 for 1800), a new access token on every grant, refresh
// tokens kept (not rotated) until they expire, and no refresh token for client_credentials.
import { randomBytes } from 'node:crypto';

export interface SnOAuthOptions {
  clients: Record<string, string>;
  users: Record<string, string>;
  accessTokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  now: () => number;
}

export interface SnOAuthAnswer {
  status: number;
  body: unknown;
}

/** What oauth_token.do answers for most refusals, whatever the cause. */
const ACCESS_DENIED: SnOAuthAnswer = { status: 401, body: { error_description: 'access_denied', error: 'server_error' } };
/** The user a client_credentials token acts as (the OAuth Application User). */
export const APPLICATION_USER = 'oauth.application.user';

function token(): string {
  return randomBytes(32).toString('base64url');
}

export class SnOAuthServer {
  private readonly options: SnOAuthOptions;
  private readonly access = new Map<string, { user: string; expiresAt: number }>();
  private readonly refresh = new Map<string, { user: string; clientId: string; expiresAt: number }>();

  constructor(options: SnOAuthOptions) {
    this.options = options;
  }

  /** The principal of a valid bearer token, or null (unknown, expired, revoked). */
  bearerUser(accessToken: string): string | null {
    const entry = this.access.get(accessToken);
    return entry && entry.expiresAt > this.options.now() ? entry.user : null;
  }

  /** Kills every access token (and, with `refresh`, every refresh token) before its time. */
  revoke(options: { refresh?: boolean } = {}): void {
    this.access.clear();
    if (options.refresh) this.refresh.clear();
  }

  /** `contentType` is the request's media type; `body` its raw text. */
  token(contentType: string, body: string): SnOAuthAnswer {
    if (contentType !== 'application/x-www-form-urlencoded') return ACCESS_DENIED;
    const form = new URLSearchParams(body);
    const clientId = form.get('client_id') ?? '';
    const secret = this.options.clients[clientId];
    if (secret === undefined || secret !== form.get('client_secret')) return ACCESS_DENIED;
    const grant = form.get('grant_type');
    if (grant === 'password') {
      const user = form.get('username') ?? '';
      const expected = this.options.users[user];
      if (expected === undefined || expected !== form.get('password')) return ACCESS_DENIED;
      return this.grant(user, clientId, null);
    }
    if (grant === 'refresh_token') {
      const old = form.get('refresh_token') ?? '';
      const entry = this.refresh.get(old);
      if (!entry || entry.clientId !== clientId || entry.expiresAt <= this.options.now()) return ACCESS_DENIED;
      return this.grant(entry.user, clientId, old);
    }
    if (grant === 'client_credentials') return this.grant(APPLICATION_USER, clientId, undefined);
    return { status: 400, body: { error_description: `Unsupported grant_type ${grant ?? '(missing)'}`, error: 'unsupported_grant_type' } };
  }

  /** refreshToken: null = issue one; a string = keep it; undefined = none (client_credentials). */
  private grant(user: string, clientId: string, refreshToken: string | null | undefined): SnOAuthAnswer {
    const now = this.options.now();
    const accessToken = token();
    this.access.set(accessToken, { user, expiresAt: now + this.options.accessTokenLifetimeSeconds * 1000 });
    const body: Record<string, unknown> = {
      access_token: accessToken, scope: 'useraccount', token_type: 'Bearer', expires_in: Math.max(1, this.options.accessTokenLifetimeSeconds - 1),
    };
    if (refreshToken !== undefined) {
      const issued = refreshToken ?? token();
      if (refreshToken === null) this.refresh.set(issued, { user, clientId, expiresAt: now + this.options.refreshTokenLifetimeSeconds * 1000 });
      body.refresh_token = issued;
    }
    return { status: 200, body };
  }
}
