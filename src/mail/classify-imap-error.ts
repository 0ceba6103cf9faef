// Turns whatever imapflow or Node's socket/TLS layer threw into a SignrelayError whose kind
// decides what happens next (retry, operator alert) and whose message names the setting to
// fix. Pure, table-tested; the password never reaches a message because nothing here reads it.
import { hostAndPort, localhostNote } from '../loopback.ts';
import { SignrelayError, isSignrelayError } from '../errors.ts';
import { CERTIFICATE_CODES } from '../tls-errors.ts';
import { operatorCommand, serviceUnit } from '../service-unit.ts';

export interface ImapErrorContext {
  /** The config key under `mailboxes`, e.g. `requests`. */
  mailbox: string;
  host: string;
  port: number;
  user: string;
  /** The folder involved, when the failure concerns one. */
  folder?: string;
  /** The setting that names `folder` when it is the watched one (e.g. `mailboxes.requests.folder`). */
  folderSetting?: string;
  /** The settings the login comes from, when not the mailbox's own (a return mailbox sharing the request account). */
  loginSettings?: { user: string; password: string };
}

/** The fields of imapflow / Node errors that classification reads. */
interface ErrorFields {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  serverResponseCode?: unknown;
  responseText?: unknown;
  mailboxMissing?: unknown;
  responseStatus?: unknown;
  executedCommand?: unknown;
  throttleReset?: unknown;
  tlsFailed?: unknown;
}

/** Codes of a connection that failed or dropped (Node's and imapflow's): not the mail's fault. */
export const IMAP_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH',
  'ENETDOWN', 'EPIPE', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT',
  'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'LockTimeout',
  'ETHROTTLE', 'StateLogout',
]);

const AUTH_RESPONSE_CODES = new Set(['AUTHENTICATIONFAILED', 'AUTHORIZATIONFAILED', 'EXPIRED']);
/** A login refused for the account's connections (Gmail says so without RFC 5530's [LIMIT]). */
const CONNECTION_LIMIT_TEXT = /too many (simultaneous |concurrent )?connections|maximum number of connections|connection limit/i;

export function classifyImapError(err: unknown, context: ImapErrorContext): SignrelayError {
  if (isSignrelayError(err)) return err;
  const fields: ErrorFields = typeof err === 'object' && err !== null ? (err as ErrorFields) : {};
  const code = typeof fields.code === 'string' ? fields.code : '';
  const responseCode = typeof fields.serverResponseCode === 'string' ? fields.serverResponseCode.toUpperCase() : '';
  const serverText = typeof fields.responseText === 'string' ? fields.responseText : '';
  const detail = serverText || (typeof fields.message === 'string' ? fields.message.trim() : String(err));
  const server = hostAndPort(context.host, context.port);
  const key = `mailboxes.${context.mailbox}`;

  if (fields.authenticationFailed === true && (responseCode === 'LIMIT' || CONNECTION_LIMIT_TEXT.test(detail))) {
    // imapflow marks every refused LOGIN/AUTHENTICATE as an authentication failure: this one
    // is not the password's, and clears when a connection closes (imap-variants review M1).
    return new SignrelayError('transient', 'imap_connection_limit',
      `The IMAP server ${server} refused the login of "${context.user}": the account's connection limit on that server is reached (server said: ${detail}). ` +
      'signrelay keeps one connection open per watched mailbox — two on one account when the return mailbox shares the request account — ' +
      `and \`${operatorCommand('check')}\`, or a reload that changes the mail settings, opens one more while it runs; the account's other clients (mail programs, phones) count too. ` +
      "Close the clients the mailbox does not need, or raise the server's limit for the account; until then signrelay tries again with backoff.", { cause: err });
  }
  if (fields.authenticationFailed === true || AUTH_RESPONSE_CODES.has(responseCode)) {
    return new SignrelayError('auth', 'imap_auth_failed',
      `The IMAP server ${server} refused the login of "${context.user}" (server said: ${detail}). ` +
      `Put the account's current login and password in ${context.loginSettings?.user ?? `${key}.user`} and ${context.loginSettings?.password ?? `${key}.password`} and restart signrelay (systemctl restart ${serviceUnit()}: a credential file is read again only at a start); ` +
      'until then it retries with backoff.', { cause: err });
  }
  if (responseCode === 'PRIVACYREQUIRED') {
    return new SignrelayError('config', 'imap_tls_required',
      `The IMAP server ${server} only accepts logins over TLS. Set ${key}.tls: true (port 993).`, { cause: err });
  }
  if (CERTIFICATE_CODES.has(code) || /certificate/i.test(detail)) {
    // Node appends its own hint after a ';' (--use-system-ca); ours below is the one to follow.
    const summary = detail.split(';')[0]!.trim();
    const reason = code && code !== summary ? `${code}: ${summary}` : summary;
    const optOut = `or, only for a server you control, set ${key}.tls_verify: false`;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
      return new SignrelayError('config', 'imap_tls_verify',
        `The certificate of the IMAP server ${server} is not issued for "${context.host}" (${reason}). Set ` +
        `${key}.host to a name the certificate is issued for, ${optOut}.`, { cause: err });
    }
    return new SignrelayError('config', 'imap_tls_verify',
      `The certificate of the IMAP server ${server} could not be verified (${reason}). If it comes from your ` +
      'own certificate authority, trust that CA: start signrelay with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; ' +
      `${optOut}.`, { cause: err });
  }
  if (fields.tlsFailed === true && /does not support STARTTLS/i.test(detail)) {
    // Required for a login to a server on another host (plain-login.ts): not offered, the
    // password would cross the network in clear text.
    return new SignrelayError('config', 'imap_starttls_missing',
      `The IMAP server ${server} does not offer STARTTLS, and signrelay sends its login only over an encrypted connection: ` +
      `enable STARTTLS on the server, or use its TLS port with ${key}.tls: true (port 993). (A server on this host — 127.0.0.1 — may be plain.)`, { cause: err });
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || fields.tlsFailed === true) {
    return new SignrelayError('config', 'imap_tls_mismatch',
      `TLS with the IMAP server ${server} failed (${code || detail}). Check ${key}.tls and ${key}.port ` +
      `(tls: true goes with port 993, tls: false with port 143).`, { cause: err });
  }
  if (code === 'ENOTFOUND') {
    return new SignrelayError('config', 'imap_host_unknown',
      `The IMAP server name "${context.host}" does not resolve. Check ${key}.host.`, { cause: err });
  }
  const unopened = fields.mailboxMissing !== true && responseCode === '' && watchedFolderRefused(fields, context);
  if (fields.mailboxMissing === true || responseCode === 'NONEXISTENT' || unopened) {
    const folder = context.folder ?? 'the folder';
    const fix = context.folderSetting
      ? `Create it on the server, or set ${context.folderSetting} to a folder that exists (e.g. INBOX).`
      : `Create it, or fix the folder names under ${key}.`;
    const what = unopened
      ? `cannot be opened for ${context.user} on ${server} (server said: ${detail}): it does not exist, or is only a parent of other folders`
      : `does not exist for ${context.user} on ${server}`;
    return new SignrelayError('config', 'imap_folder_missing', `The IMAP folder "${folder}" ${what}. ${fix}`, { cause: err });
  }
  if (IMAP_NETWORK_CODES.has(code) || responseCode === 'UNAVAILABLE' || responseCode === 'INUSE') {
    const retryAfterSeconds = typeof fields.throttleReset === 'number' ? Math.ceil(fields.throttleReset / 1000) : undefined;
    const noGreeting = code === 'GREETING_TIMEOUT' ? ` A port that expects TLS from the start (usually 993) sends no greeting to a plain connection: then set ${key}.tls: true.` : '';
    return new SignrelayError('transient', 'imap_unavailable',
      `The IMAP server ${server} is not reachable or dropped the connection (${code || responseCode}: ${detail}). ` +
      `signrelay tries again with backoff; if this lasts, check that the server is running, and ${key}.host, ${key}.port and ${key}.tls.${noGreeting}` +
      (code === 'ECONNREFUSED' ? localhostNote(context.host, `${key}.host`) : ''), { cause: err, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
  }
  return new SignrelayError('transient', 'imap_error',
    `IMAP error with ${server}${context.folder ? ` in folder "${context.folder}"` : ''}: ${detail}`, { cause: err });
}

/**
 * The server answered NO, without a code, to the SELECT or EXAMINE of the watched folder: it
 * cannot be opened — a parent listed `\Noselect` (Dovecot: "Mailbox doesn't exist"), or gone
 * with the server not saying so. Told as a generic transient error it was logged at warn on
 * every reconnect without naming the setting, and the folder was never read (imap-variants
 * review M3). Only the watched folder is selected by a watcher (find-copies.ts swallows its own).
 */
function watchedFolderRefused(fields: ErrorFields, context: ImapErrorContext): boolean {
  const command = typeof fields.executedCommand === 'string' ? fields.executedCommand : '';
  return context.folderSetting !== undefined && fields.responseStatus === 'NO' && /^\S+ (SELECT|EXAMINE) /i.test(command);
}
