// The simulator's OAuth2 server (seed 001): authorize (auto-approved, as if the user had
// logged in), token (authorization_code and refresh_token grants, form-urlencoded only,
// `expires_in` as a string, refresh tokens rotated and the old one invalidated), revoke,
// and the bearer check the API runs before every call ("Session expired or invalid").
// Invalidating a spent refresh token at once, with no grace period, is an assumption:
// SECURED-SIGNING.md says a refresh answer may carry a new refresh token, not what becomes
// of the old one. It is the worst case, the one signrelay has to survive (and report).
import { randomBytes } from 'node:crypto';
import type { AuthRefusal } from './verify-signature.ts';

/** The scopes Secured Signing knows (seed 001), as written: they are case-sensitive. */
const SCOPES = ['Basic', 'ISign', 'WeSign', 'SmartTag', 'FormDirect', 'FormFiller'];

export interface OAuthServerOptions {
  apiKey: string;
  apiSecret: string;
  accessTokenLifetimeSeconds: number;
  /** true (default): a refresh issues a new refresh token and kills the old one. */
  rotateRefreshTokens: boolean;
  now: () => number;
}

export interface OAuthAnswer {
  status: number;
  body?: unknown;
  location?: string;
}

const CODE_LIFETIME_MS = 10 * 60_000;
const DEFAULT_SCOPE = 'Basic SmartTag';

function token(): string {
  return randomBytes(24).toString('base64url');
}

function oauthError(status: number, error: string, description: string): OAuthAnswer {
  // Both shapes: the standard OAuth error and the ServiceStack one the API uses.
  return { status, body: { error, error_description: description, ResponseStatus: { ErrorCode: error, Message: description } } };
}

export class OAuthServer {
  private readonly options: OAuthServerOptions;
  private readonly access = new Map<string, { expiresAt: number; scope: string }>();
  private readonly refresh = new Map<string, { scope: string }>();
  private readonly codes = new Map<string, { redirectUri: string; scope: string; expiresAt: number }>();

  constructor(options: OAuthServerOptions) {
    this.options = options;
  }

  /** Mints a valid pair directly (what `signrelay authorize` would end with). */
  issueTokens(scope = DEFAULT_SCOPE): { accessToken: string; refreshToken: string } {
    const accessToken = token();
    const refreshToken = token();
    this.access.set(accessToken, { expiresAt: this.options.now() + this.options.accessTokenLifetimeSeconds * 1000, scope });
    this.refresh.set(refreshToken, { scope });
    return { accessToken, refreshToken };
  }

  addRefreshToken(refreshToken: string, scope = DEFAULT_SCOPE): void {
    this.refresh.set(refreshToken, { scope });
  }

  isRefreshTokenValid(refreshToken: string): boolean {
    return this.refresh.has(refreshToken);
  }

  /** Kills an access token before its time, as a server restart or revocation would. */
  revokeAccessToken(accessToken: string): void {
    this.access.delete(accessToken);
  }

  checkBearer(authorization: string | undefined): AuthRefusal | null {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { errorCode: 'Unauthorized', message: 'Authorization header with a Bearer access token required' };
    const entry = this.access.get(match[1]!);
    if (!entry || entry.expiresAt <= this.options.now()) return { errorCode: 'TokenException', message: 'Session expired or invalid' };
    return null;
  }

  /**
   * Whether a valid bearer token was granted `scope` (scopes are case-sensitive, space-
   * separated: seed 001). The status and error code of the real refusal are unconfirmed;
   * a token without the scope is a 403, the usual answer for a missing OAuth2 scope.
   */
  checkScope(authorization: string | undefined, scope: string): AuthRefusal | null {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const granted = (this.access.get(match?.[1] ?? '')?.scope ?? '').split(/\s+/);
    if (granted.includes(scope)) return null;
    return { errorCode: 'InsufficientScope', message: `The access token was not granted the ${scope} scope this call needs` };
  }

  authorize(query: URLSearchParams): OAuthAnswer {
    const redirectUri = query.get('redirect_uri') ?? '';
    if (query.get('client_id') !== this.options.apiKey) return oauthError(400, 'invalid_client', 'unknown client_id');
    if (!/^https?:\/\//.test(redirectUri)) return oauthError(400, 'invalid_request', 'redirect_uri required');
    const target = new URL(redirectUri);
    if (query.get('response_type') !== 'code') {
      target.searchParams.set('error', 'unsupported_response_type');
      return { status: 302, location: target.href };
    }
    const scope = query.get('scope') ?? '';
    if (scope.trim() === '') return oauthError(400, 'invalid_scope', 'scope required');
    // Seed 001: the scopes are a fixed list, and case-sensitive.
    const unknown = scope.trim().split(/\s+/).filter((s) => !SCOPES.includes(s));
    if (unknown.length > 0) {
      target.searchParams.set('error', 'invalid_scope');
      target.searchParams.set('error_description', `unknown scope ${unknown.join(' ')} (scopes are case-sensitive: ${SCOPES.join(', ')})`);
      return { status: 302, location: target.href };
    }
    const code = token();
    this.codes.set(code, { redirectUri, scope, expiresAt: this.options.now() + CODE_LIFETIME_MS });
    target.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, location: target.href };
  }

  token(form: URLSearchParams): OAuthAnswer {
    if (form.get('client_id') !== this.options.apiKey || form.get('client_secret') !== this.options.apiSecret) {
      return oauthError(401, 'invalid_client', 'client_id or client_secret is wrong');
    }
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') {
      const old = form.get('refresh_token') ?? '';
      const entry = this.refresh.get(old);
      if (!entry) return oauthError(400, 'invalid_grant', 'refresh token is invalid, expired or already used');
      return this.grant(entry.scope, old);
    }
    if (grant === 'authorization_code') {
      const code = form.get('code') ?? '';
      const entry = this.codes.get(code);
      this.codes.delete(code); // single use, even when the exchange fails
      if (!entry || entry.expiresAt <= this.options.now()) return oauthError(400, 'invalid_grant', 'authorization code is invalid or expired');
      if (entry.redirectUri !== form.get('redirect_uri')) return oauthError(400, 'invalid_grant', 'redirect_uri does not match the authorize request');
      return this.grant(entry.scope, null);
    }
    return oauthError(400, 'unsupported_grant_type', `grant_type ${grant ?? '(missing)'} is not supported`);
  }

  revoke(authorization: string | undefined): OAuthAnswer {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match || !this.access.delete(match[1]!)) return oauthError(401, 'invalid_token', 'Session expired or invalid');
    return { status: 200, body: {} };
  }

  private grant(scope: string, oldRefresh: string | null): OAuthAnswer {
    const accessToken = token();
    this.access.set(accessToken, { expiresAt: this.options.now() + this.options.accessTokenLifetimeSeconds * 1000, scope });
    const body: Record<string, string> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: String(this.options.accessTokenLifetimeSeconds),
      scope,
    };
    if (oldRefresh === null || this.options.rotateRefreshTokens) {
      if (oldRefresh !== null) this.refresh.delete(oldRefresh);
      const refreshToken = token();
      this.refresh.set(refreshToken, { scope });
      body.refresh_token = refreshToken;
    }
    return { status: 200, body };
  }
}
