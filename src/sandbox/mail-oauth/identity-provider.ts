// The identity side of XOAUTH2 mail login, simulated: the token endpoints of the Microsoft
// identity platform (app-only client credentials) and of Google (refresh-token grant), and
// the check the mail servers make of a bearer token. What is modelled:
// - Microsoft `POST /{tenant}/oauth2/v2.0/token`: form only; the tenant must exist, the
//   client id must be an app of that tenant and the secret its own (AADSTS90002, 700016,
//   7000215 with Microsoft's status codes and error shape); grant_type client_credentials
//   only; the scope must be `<resource>/.default` of Exchange Online
//   (https://outlook.office365.com/.default, else AADSTS1002012 / 70011); no refresh token.
// - Exchange Online's authorization of an app-only token: the app must hold the
//   application permission of the protocol (IMAP.AccessAsApp, SMTP.SendAsApp — admin
//   consent assumed) AND its service principal must have been given the mailbox
//   (Add-MailboxPermission); the XOAUTH2 user names the mailbox.
// - Google `POST /token`: grant_type refresh_token only; client id and secret; the refresh
//   token must be live and issued to that client (else invalid_grant / unauthorized_client);
//   the token is for the user who consented, scope https://mail.google.com/. Google does not
//   rotate refresh tokens; `rotateRefreshTokens` makes it (the worst case signrelay has to save).
// - Access tokens are opaque, short-lived when asked (`accessTokenLifetimeSeconds`) and can
//   be revoked early; an expired or unknown one is refused.
// Not modelled: certificates as client credentials, conditional access, consent screens,
// throttling (AADSTS50196), JWT contents (the servers ask here instead of validating locally).
import { randomBytes } from 'node:crypto';

export const EXCHANGE_SCOPE = 'https://outlook.office365.com/.default';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

export type MailService = 'imap' | 'smtp';
export type MicrosoftRole = 'IMAP.AccessAsApp' | 'SMTP.SendAsApp';

export interface MicrosoftApp {
  clientId: string;
  clientSecret: string;
  /** Application permissions granted (with admin consent). */
  roles: MicrosoftRole[];
  /** Mailboxes the app's service principal was given (Add-MailboxPermission … FullAccess). */
  mailboxes: string[];
}

export interface IdentityProviderOptions {
  microsoft?: { tenant: string; apps: MicrosoftApp[] };
  /** Google OAuth clients: client id → secret. */
  google?: { clients: Record<string, string>; rotateRefreshTokens?: boolean };
  accessTokenLifetimeSeconds?: number;
  now?: () => number;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface AccessToken {
  expiresAt: number;
  provider: 'microsoft' | 'google';
  clientId: string;
  /** Google: the user the token is for. */
  user?: string;
}

/** One call to a token endpoint, for tests to count and time. */
export interface GrantRecord {
  at: number;
  provider: 'microsoft' | 'google';
  clientId: string;
  /** `issued`, or the OAuth error code of the refusal. */
  outcome: string;
}

const ROLE_OF: Record<MailService, MicrosoftRole> = { imap: 'IMAP.AccessAsApp', smtp: 'SMTP.SendAsApp' };
const opaque = (bytes = 32) => randomBytes(bytes).toString('base64url');

export class MailIdentityProvider {
  readonly grants: GrantRecord[] = [];
  /** Every access token and refresh token handed out, for tests that look for leaks. */
  readonly issued: string[] = [];
  private readonly options: IdentityProviderOptions;
  private readonly access = new Map<string, AccessToken>();
  private readonly refresh = new Map<string, { clientId: string; user: string }>();
  private readonly now: () => number;
  lifetimeSeconds: number;

  constructor(options: IdentityProviderOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.lifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3599;
  }

  /** What a user's consent in Google's flow ends with: a refresh token for `user` and the client. */
  issueGoogleRefreshToken(clientId: string, user: string): string {
    const token = `1//${opaque()}`;
    this.refresh.set(token, { clientId, user });
    this.issued.push(token);
    return token;
  }

  isRefreshTokenLive(token: string): boolean {
    return this.refresh.has(token);
  }

  /** Every access token issued so far stops working (a revocation, a password reset). */
  revokeAccessTokens(): void {
    this.access.clear();
  }

  microsoftToken(tenant: string, form: URLSearchParams): TokenAnswer {
    const ms = this.options.microsoft;
    const clientId = form.get('client_id') ?? '';
    const refuse = (status: number, error: string, code: number, text: string): TokenAnswer => {
      this.grants.push({ at: this.now(), provider: 'microsoft', clientId, outcome: error });
      return { status, body: microsoftError(error, code, text) };
    };
    if (!ms || tenant.toLowerCase() !== ms.tenant.toLowerCase()) {
      return refuse(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    const grant = form.get('grant_type');
    if (!grant) return refuse(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`);
    const app = ms.apps.find((a) => a.clientId === clientId);
    if (!app) {
      return refuse(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${ms.tenant}'.`);
    }
    if (form.get('client_secret') !== app.clientSecret) {
      return refuse(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) {
      return refuse(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    if (scope !== EXCHANGE_SCOPE) return refuse(400, 'invalid_resource', 500011, `The resource principal named ${scope.replace('/.default', '')} was not found in the tenant.`);
    this.grants.push({ at: this.now(), provider: 'microsoft', clientId, outcome: 'issued' });
    const accessToken = this.mint({ provider: 'microsoft', clientId });
    return { status: 200, body: { token_type: 'Bearer', expires_in: this.lifetimeSeconds, ext_expires_in: this.lifetimeSeconds, access_token: accessToken } };
  }

  googleToken(form: URLSearchParams): TokenAnswer {
    const google = this.options.google;
    const clientId = form.get('client_id') ?? '';
    const refuse = (status: number, error: string, description: string): TokenAnswer => {
      this.grants.push({ at: this.now(), provider: 'google', clientId, outcome: error });
      return { status, body: { error, error_description: description } };
    };
    if (!google || !(clientId in google.clients)) return refuse(401, 'invalid_client', 'The OAuth client was not found.');
    if (form.get('client_secret') !== google.clients[clientId]) return refuse(401, 'invalid_client', 'Unauthorized');
    const grant = form.get('grant_type');
    if (grant !== 'refresh_token') return refuse(400, 'unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
    const old = form.get('refresh_token') ?? '';
    const entry = this.refresh.get(old);
    if (!entry) return refuse(400, 'invalid_grant', 'Token has been expired or revoked.');
    if (entry.clientId !== clientId) return refuse(401, 'unauthorized_client', 'Unauthorized');
    this.grants.push({ at: this.now(), provider: 'google', clientId, outcome: 'issued' });
    const body: Record<string, unknown> = {
      access_token: this.mint({ provider: 'google', clientId, user: entry.user }),
      expires_in: this.lifetimeSeconds,
      scope: GOOGLE_MAIL_SCOPE,
      token_type: 'Bearer',
    };
    if (google.rotateRefreshTokens) {
      this.refresh.delete(old);
      body.refresh_token = this.issueGoogleRefreshToken(clientId, entry.user);
    }
    return { status: 200, body };
  }

  /**
   * Whether `token` lets `user` log in to `service` — what Exchange Online or Gmail decide
   * for an XOAUTH2 login. Null when it may, else why not.
   */
  refusal(service: MailService, user: string, token: string): string | null {
    const entry = this.access.get(token);
    if (!entry || entry.expiresAt <= this.now()) return 'the access token is unknown, revoked or expired';
    if (entry.provider === 'google') return entry.user === user ? null : `the access token is for ${entry.user}, not ${user}`;
    const app = this.options.microsoft?.apps.find((a) => a.clientId === entry.clientId);
    if (!app?.roles.includes(ROLE_OF[service])) return `the app has no ${ROLE_OF[service]} permission`;
    if (!app.mailboxes.includes(user)) return `the app's service principal has no permission on the mailbox ${user}`;
    return null;
  }

  /** RFC 7662 introspection as the mail server asks it, for the mailbox it logs in to. */
  introspect(service: MailService, user: string, token: string): Record<string, unknown> {
    if (this.refusal(service, user, token) !== null) return { active: false };
    const entry = this.access.get(token)!;
    return {
      active: true,
      email: user,
      client_id: entry.clientId,
      scope: entry.provider === 'google' ? GOOGLE_MAIL_SCOPE : ROLE_OF[service],
      exp: Math.floor(entry.expiresAt / 1000),
    };
  }

  private mint(entry: Omit<AccessToken, 'expiresAt'>): string {
    const token = `${entry.provider === 'google' ? 'ya29.' : 'EwB'}${opaque()}`;
    this.access.set(token, { ...entry, expiresAt: this.now() + this.lifetimeSeconds * 1000 });
    this.issued.push(token);
    return token;
  }
}

function microsoftError(error: string, code: number, text: string): Record<string, unknown> {
  const traceId = opaque(12);
  return {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${opaque(12)} Timestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: traceId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}
