// What an operator is told when XOAUTH2 mail login fails: the token endpoint refused to
// issue a token (wrong or expired client secret, unknown app or tenant, a dead refresh
// token), or the mail server refused the login with a token it was given (missing
// permission, wrong mailbox). Each message names the setting or the admin step that fixes
// it; the provider's own words are shown masked and cut short. Pure.
import { SignrelayError } from '../errors.ts';
import { maskSecrets } from '../http/mask-secrets.ts';
import type { TokenRefusal as EndpointRefusal } from '../http/token-endpoint.ts';
import { serviceUnit } from '../service-unit.ts';

export type MailOauthProvider = 'microsoft' | 'google';

/** Which configured credentials a token came from, for messages. */
export interface TokenOrigin {
  provider: MailOauthProvider;
  /** Where the credentials are set, first the one that names them (e.g. mailboxes.requests.auth). */
  settings: readonly string[];
}

/** What the token endpoint said when it refused (http/token-endpoint.ts reads it). */
type TokenRefusal = Pick<EndpointRefusal, 'status' | 'error' | 'description'>;

const afterFix = () => 'signrelay cannot log in to the mailbox until then and tries again with backoff; ' +
  `a changed setting takes effect on restart (or systemctl reload ${serviceUnit()})`;
export const PROVIDER_NAMES: Record<MailOauthProvider, string> = { microsoft: 'the Microsoft identity platform', google: 'Google' };

/** After the fix: where else the same credentials are set (they must change together). */
function shared(origin: TokenOrigin): string {
  const others = origin.settings.slice(1);
  return others.length === 0 ? '' : ` (the same credentials are also in ${others.join(' and ')})`;
}

/** The provider's own words, first sentence-ish part only: Microsoft appends trace and correlation ids. */
function providerWords(refusal: TokenRefusal, secrets: readonly string[]): string {
  const words = (refusal.description ?? '').split(/\r?\n| Trace ID:/)[0]!.trim();
  const text = [refusal.error, words].filter(Boolean).join(': ');
  return maskSecrets(text, [...secrets]);
}

function microsoftFix(s: string, refusal: TokenRefusal): string {
  const code = /AADSTS(\d+)/.exec(refusal.description ?? '')?.[1];
  if (code === '90002' || code === '900023' || code === '90013') {
    return `check ${s}.tenant: it must be the directory (tenant) id, or a verified domain, of the tenant the app is registered in`;
  }
  if (code === '700016' || refusal.error === 'unauthorized_client') {
    return `check ${s}.client_id and ${s}.tenant: the tenant has no app registration with this application (client) id`;
  }
  if (refusal.error === 'invalid_client' || code === '7000215' || code === '7000222') {
    return `check ${s}.client_secret: it is wrong or has expired — use a secret's Value (not its Secret ID) from the app ` +
      'registration\'s "Certificates & secrets", and make a new one before the old expires';
  }
  if (refusal.error === 'invalid_scope' || refusal.error === 'invalid_resource') {
    return `check ${s}.scope: an app-only token needs the /.default scope of Exchange Online, https://outlook.office365.com/.default ` +
      '(remove the setting to use it)';
  }
  return `check ${s}.tenant, ${s}.client_id and ${s}.client_secret`;
}

function googleFix(s: string, refusal: TokenRefusal): string {
  if (refusal.error === 'invalid_grant') {
    return `the refresh token in ${s}.refresh_token (or the one Google renewed it to) is expired or revoked — the user revoked ` +
      'access or changed the password, the project\'s OAuth consent screen is in "Testing" (refresh tokens then last 7 days), ' +
      `or it went unused for 6 months: obtain a new one for the mailbox's user with the scope https://mail.google.com/ and put it in ${s}.refresh_token`;
  }
  if (refusal.error === 'unauthorized_client') {
    return `the refresh token was issued to another OAuth client: ${s}.client_id and ${s}.client_secret must be those of the client that obtained it`;
  }
  if (refusal.error === 'invalid_client') {
    return `check ${s}.client_id and ${s}.client_secret: they must be the OAuth client of your Google Cloud project`;
  }
  return `check ${s}.client_id, ${s}.client_secret and ${s}.refresh_token`;
}

/** The token endpoint refused to issue a token (HTTP 400/401/403): an operator must act. */
export function tokenRefused(origin: TokenOrigin, refusal: TokenRefusal, secrets: readonly string[]): SignrelayError {
  const s = origin.settings[0]!;
  const fix = origin.provider === 'microsoft' ? microsoftFix(s, refusal) : googleFix(s, refusal);
  const words = providerWords(refusal, secrets);
  return new SignrelayError('auth', 'mail_oauth_refused',
    `${PROVIDER_NAMES[origin.provider]} refused to issue an access token for ${s} ` +
    `(HTTP ${refusal.status}${words ? ` ${words}` : ''}): ${fix}${shared(origin)}. ${afterFix()}`);
}

/** Any other answer that is not a token: a 5xx or 429 heals by itself, anything else is the URL. */
export function tokenEndpointFailed(origin: TokenOrigin, status: number, retryAfterSeconds: number | undefined): SignrelayError {
  const s = origin.settings[0]!;
  const name = PROVIDER_NAMES[origin.provider];
  if (status === 429 || status >= 500) {
    return new SignrelayError('transient', 'mail_oauth_unavailable',
      `${name} answered HTTP ${status} when asked for an access token for ${s}; will retry`,
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
  return new SignrelayError('config', 'mail_oauth_endpoint',
    `the token endpoint for ${s} answered HTTP ${status}, not a token or an OAuth error: check ${s}.token_url ` +
    '(remove it to use the provider\'s public endpoint)');
}

/** The failure a login refusal came with: the server's words, as the classifier saw them. */
function serverWords(cause: unknown): string {
  const fields = (typeof cause === 'object' && cause !== null ? cause : {}) as { responseText?: unknown; response?: unknown; message?: unknown };
  for (const value of [fields.responseText, fields.response, fields.message]) {
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return String(cause);
}

export interface LoginContext {
  protocol: 'IMAP' | 'SMTP';
  /** host:port */
  server: string;
  user: string;
}

/**
 * The mail server refused an XOAUTH2 login with a token the provider had just issued: the
 * token is not for this mailbox, or the app lacks a permission. A new token is tried on the
 * next attempt (it might have been revoked), but usually an administrator must act.
 */
export function loginRefused(origin: TokenOrigin, login: LoginContext, cause: unknown): SignrelayError {
  const s = origin.settings[0]!;
  const said = serverWords(cause);
  const head = `The ${login.protocol} server ${login.server} refused the XOAUTH2 login of "${login.user}"`;
  const tail = login.protocol === 'IMAP'
    ? 'signrelay retries with backoff, each time with a new access token'
    : 'Mail waits and is sent once a login succeeds, each attempt with a new access token';
  if (origin.provider === 'microsoft') {
    const permission = login.protocol === 'IMAP' ? 'IMAP.AccessAsApp' : 'SMTP.SendAsApp';
    const protocolOn = login.protocol === 'IMAP'
      ? 'IMAP must be enabled for the mailbox'
      : `SMTP AUTH must be enabled for the mailbox (Set-CASMailbox -Identity "${login.user}" -SmtpClientAuthenticationDisabled $false)`;
    return new SignrelayError('auth', `${login.protocol.toLowerCase()}_oauth_refused`,
      `${head} with an app-only access token of the app in ${s}.client_id (server said: ${said}). In Microsoft 365 the app needs the ` +
      `application permission ${permission} of Office 365 Exchange Online with admin consent; its service principal must be ` +
      `registered in Exchange Online (New-ServicePrincipal -AppId <client id> -ObjectId <enterprise application object id>) and ` +
      `given the mailbox (Add-MailboxPermission -Identity "${login.user}" -User <service principal id> -AccessRights FullAccess); ` +
      `and ${protocolOn}. ${tail}`, { cause });
  }
  return new SignrelayError('auth', `${login.protocol.toLowerCase()}_oauth_refused`,
    `${head} with an access token from the refresh token in ${s}.refresh_token (server said: ${said}). The refresh token must ` +
    `belong to "${login.user}" and carry the scope https://mail.google.com/` +
    `${login.protocol === 'IMAP' ? ', and IMAP must be on for the account' : ''}. ${tail}`, { cause });
}
