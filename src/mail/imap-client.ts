// Builds imapflow clients from the account config. A closed ImapFlow cannot be reused, so
// every (re)connect asks for a NEW client here; the settings that keep a long-lived IDLE
// connection honest (socket timeout, IDLE restart, auto-IDLE delay) live in one place.
import { certificateName, hostAndPort, loopbackAddress } from '../loopback.ts';
import { ImapFlow, type Logger as ImapFlowLogger } from 'imapflow';
// RFC 9051 folds IDLE (MOVE, UIDPLUS) into IMAP4rev2: a rev2-only server lists none of them (diff review 25 L2).
import { hasCapability } from 'imapflow/lib/tools.js';
import type { Logger } from 'winston';
import type { ImapAccountConfig } from '../config/schema.ts';
import { describeError, type SignrelayError } from '../errors.ts';
import { classifyImapError, type ImapErrorContext } from './classify-imap-error.ts';
import { loginRefused } from './mail-oauth-messages.ts';
import { quoteOutside } from '../outside-text.ts';
import { mailTlsOptions } from './plain-login.ts';
import type { MailTokenSource } from './mail-oauth-token.ts';

/** No socket traffic for this long while a command is in flight = dead connection. */
export const IMAP_SOCKET_TIMEOUT_MS = 2 * 60_000;
/** Re-issue IDLE this often; servers and NAT boxes drop IDLE sessions that sit for ~30 min. */
export const IMAP_MAX_IDLE_TIME_MS = 5 * 60_000;
/**
 * imapflow starts IDLE after this much inactivity (its default is 15 s). Next to nothing:
 * new-mail notices only arrive while idling, so every millisecond out of IDLE is latency for
 * the next mail (and start-up time). imapflow never idles while the watcher holds the
 * mailbox lock, so a pass is not interrupted by it; a command between passes (the liveness
 * NOOP) ends the IDLE first, which costs one round trip.
 */
export const IMAP_AUTO_IDLE_DELAY_MS = 20;
/**
 * On a server without IDLE, imapflow polls the selected folder with a NOOP instead, every
 * maxIdleTime (at most 2 min); the watcher makes it this. New mail is then seen within 10 s
 * (5 s on average) instead of within the 60 s of the liveness NOOP: a NOOP costs the server
 * a few bytes each way, 8,640 a day per connection, and the request and return watchers each
 * have one.
 */
export const IMAP_NO_IDLE_POLL_MS = 10_000;
export const IMAP_CONNECTION_TIMEOUT_MS = 30_000;
export const IMAP_GREETING_TIMEOUT_MS = 16_000;

export interface ImapClientOptions {
  /** Bridge imapflow's protocol log to winston at debug. Default: when debug is enabled. */
  protocolLog?: boolean;
  /** Require STARTTLS before the login (default: unless `tls` or the server is on this host — plain-login.ts). */
  requireStartTls?: boolean;
  /** An OAuth2 access token: log in with XOAUTH2 (or OAUTHBEARER, when the server prefers it) instead of the password. */
  accessToken?: string | undefined;
}

export function createImapClient(
  account: ImapAccountConfig,
  logger: Logger,
  options: ImapClientOptions = {},
): ImapFlow {
  const protocolLog = options.protocolLog ?? logger.isDebugEnabled();
  const { accessToken } = options;
  // What a server might echo: the password, or the token and the XOAUTH2 SASL string carrying it.
  const secrets = accessToken === undefined
    ? [account.password ?? '']
    : [accessToken, Buffer.from(`user=${account.user}\x01auth=Bearer ${accessToken}\x01\x01`).toString('base64')];
  const refusal: Refusal = {};
  const tls = mailTlsOptions(account, true, options.requireStartTls);
  const client = new ImapFlow({
    // `localhost` is connected to as 127.0.0.1, never looked up (loopback.ts), its certificate checked for the name.
    host: loopbackAddress(account.host),
    port: account.port,
    secure: tls.secure,
    tls: { rejectUnauthorized: tls.rejectUnauthorized },
    ...(certificateName(account.host) ? { servername: certificateName(account.host) } : {}),
    auth: accessToken === undefined ? { user: account.user, pass: account.password ?? '' } : { user: account.user, accessToken },
    // A login only over an encrypted connection, unless the server is on this host (plain-login.ts).
    ...(tls.startTlsRequired ? { doSTARTTLS: true } : {}),
    logger: bridgeLogger(logger, secrets, protocolLog, refusal),
    clientInfo: { name: 'signrelay' },
    connectionTimeout: IMAP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: IMAP_GREETING_TIMEOUT_MS,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    maxIdleTime: IMAP_MAX_IDLE_TIME_MS,
    autoIdleDelay: IMAP_AUTO_IDLE_DELAY_MS,
  });
  refusals.set(client, refusal);
  return client;
}

/**
 * Makes imapflow poll every IMAP_NO_IDLE_POLL_MS when the connected server does not offer
 * IDLE; true when it does not. imapflow reads maxIdleTime (its constructor option) again at
 * each IDLE it starts, the poll included; its typings leave the field out.
 */
export function pollWithoutIdle(client: ImapFlow): boolean {
  if (hasCapability(client, 'IDLE')) return false;
  (client as unknown as { maxIdleTime: number }).maxIdleTime = IMAP_NO_IDLE_POLL_MS;
  return true;
}

/** A NO or BAD the server answered: its text (quoted, for logs and messages) and its response code (`TRYCREATE`). */
export interface ServerRefusal {
  text: string;
  code: string | undefined;
}

type Refusal = { last?: ServerRefusal };

/** The last NO or BAD a client's server answered to a command, as imapflow logged it. */
const refusals = new WeakMap<ImapFlow, Refusal>();

/**
 * What the server last refused to this client, and forgets it: `[NOPERM] Permission denied`.
 * For a command imapflow answers with `false` instead of an error (MOVE, COPY), whose reason
 * it passes only to its logger — an operator must see why a mail cannot be filed.
 */
export function takeServerRefusal(client: ImapFlow): ServerRefusal | undefined {
  const holder = refusals.get(client);
  const last = holder?.last;
  if (holder) delete holder.last;
  return last;
}

/**
 * Creates a client, attaches a throw-away `error` listener (an unhandled 'error' event would
 * crash the process) and connects; failures come back classified. With a token source (auth
 * type oauth2) it first gets an access token and logs in with it. For one-shot use such as
 * `signrelay check`; the watcher manages its own clients.
 */
export async function connectImapClient(
  account: ImapAccountConfig,
  mailbox: string,
  logger: Logger,
  tokenSource?: MailTokenSource,
): Promise<ImapFlow> {
  const accessToken = tokenSource ? (await tokenSource.accessToken()).value : undefined;
  const client = createImapClient(account, logger, { accessToken });
  client.on('error', (err: Error) => logger.debug('imap client error', { mailbox, error: describeError(err) }));
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.close();
    throw classifyImapLoginError(err, { mailbox, host: account.host, port: account.port, user: account.user }, tokenSource);
  }
}

/** classifyImapError, with a refused XOAUTH2 login explained for the token's provider (the password is not the problem). */
export function classifyImapLoginError(err: unknown, context: ImapErrorContext, tokenSource: MailTokenSource | undefined): SignrelayError {
  const error = classifyImapError(err, context);
  if (!tokenSource || error.code !== 'imap_auth_failed') return error;
  return loginRefused(tokenSource, { protocol: 'IMAP', server: hostAndPort(context.host, context.port), user: context.user }, err);
}

/**
 * imapflow logs objects `{ msg, cid, src, err, … }` at trace…fatal. All of it is protocol
 * detail, so everything goes to winston's debug level under a fixed message. imapflow already
 * masks credentials; the password (or access token) is still scrubbed from strings in case a server echoes it.
 */
function bridgeLogger(logger: Logger, secrets: string[], protocolLog: boolean, refusal: Refusal): ImapFlowLogger {
  const scrub = (value: string) => secrets.reduce((text, secret) => (secret.length >= 4 ? text.split(secret).join('[redacted]') : text), value);
  const write = (level: string) => (entry: unknown) => {
    const err = typeof entry === 'object' && entry !== null ? (entry as { err?: { responseText?: unknown; serverResponseCode?: unknown } }).err : undefined;
    if ((level === 'warn' || level === 'error') && err && typeof err.responseText === 'string') {
      const code = typeof err.serverResponseCode === 'string' ? err.serverResponseCode.toUpperCase() : undefined;
      refusal.last = { text: quoteOutside(scrub(`${code ? `[${code}] ` : ''}${err.responseText}`), 300), code };
    }
    if (!protocolLog) return;
    const fields: Record<string, unknown> = { imapLevel: level };
    if (typeof entry === 'object' && entry !== null) {
      for (const [name, value] of Object.entries(entry)) {
        if (name === 'err') fields.error = scrub(describeError(value));
        else if (typeof value === 'string') fields[name === 'msg' ? 'imapMsg' : name] = scrub(value);
        else if (typeof value === 'number' || typeof value === 'boolean') fields[name] = value;
      }
    } else {
      fields.imapMsg = scrub(String(entry));
    }
    logger.debug('imapflow', fields);
  };
  return {
    trace: write('trace'),
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    fatal: write('fatal'),
  };
}
