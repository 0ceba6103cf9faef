// Builds imapflow clients from the account config. A closed ImapFlow cannot be reused, so
// every (re)connect asks for a NEW client here; the settings that keep a long-lived IDLE
// connection honest (socket timeout, IDLE restart, auto-IDLE delay) live in one place.
import { ImapFlow, type Logger as ImapFlowLogger } from 'imapflow';
import type { Logger } from 'winston';
import type { ImapAccountConfig } from '../config/schema.ts';
import { describeError } from '../errors.ts';
import { classifyImapError } from './classify-imap-error.ts';

/** No socket traffic for this long while a command is in flight = dead connection. */
export const IMAP_SOCKET_TIMEOUT_MS = 2 * 60_000;
/** Re-issue IDLE this often; servers and NAT boxes drop IDLE sessions that sit for ~30 min. */
export const IMAP_MAX_IDLE_TIME_MS = 5 * 60_000;
/**
 * imapflow starts IDLE after this much inactivity (its default is 15 s). Short, because the
 * watcher's NOOP probe breaks IDLE and new-mail notices only arrive while idling; imapflow never
 * idles while the watcher holds the mailbox lock, so a pass is not interrupted by it.
 */
export const IMAP_AUTO_IDLE_DELAY_MS = 1_000;
export const IMAP_CONNECTION_TIMEOUT_MS = 30_000;
export const IMAP_GREETING_TIMEOUT_MS = 16_000;

export interface ImapClientOptions {
  /** Bridge imapflow's protocol log to winston at debug. Default: when debug is enabled. */
  protocolLog?: boolean;
}

export function createImapClient(
  account: ImapAccountConfig,
  logger: Logger,
  options: ImapClientOptions = {},
): ImapFlow {
  const protocolLog = options.protocolLog ?? logger.isDebugEnabled();
  return new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.tls,
    tls: { rejectUnauthorized: account.tls_verify },
    auth: { user: account.user, pass: account.password },
    logger: protocolLog ? bridgeLogger(logger, account.password) : false,
    clientInfo: { name: 'signrelay' },
    connectionTimeout: IMAP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: IMAP_GREETING_TIMEOUT_MS,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    maxIdleTime: IMAP_MAX_IDLE_TIME_MS,
    autoIdleDelay: IMAP_AUTO_IDLE_DELAY_MS,
  });
}

/**
 * Creates a client, attaches a throw-away `error` listener (an unhandled 'error' event would
 * crash the process) and connects; failures come back classified. For one-shot use such as
 * `signrelay check`; the watcher manages its own clients.
 */
export async function connectImapClient(
  account: ImapAccountConfig,
  mailbox: string,
  logger: Logger,
): Promise<ImapFlow> {
  const client = createImapClient(account, logger);
  client.on('error', (err: Error) => logger.debug('imap client error', { mailbox, error: describeError(err) }));
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.close();
    throw classifyImapError(err, { mailbox, host: account.host, port: account.port, user: account.user });
  }
}

/**
 * imapflow logs objects `{ msg, cid, src, err, … }` at trace…fatal. All of it is protocol
 * detail, so everything goes to winston's debug level under a fixed message. imapflow already
 * masks credentials; the password is still scrubbed from strings in case a server echoes it.
 */
function bridgeLogger(logger: Logger, password: string): ImapFlowLogger {
  const scrub = (value: string) => (password.length >= 4 ? value.split(password).join('[redacted]') : value);
  const write = (level: string) => (entry: unknown) => {
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
