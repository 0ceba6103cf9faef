// Sends signrelay's own mail (replies, notices, alerts, deliveries) through the configured SMTP server.
// Pooled, because smtp-server-like peers pause before their greeting; failures leave here
// already classified (transient / permanent / auth / config) so the mail job can decide.
import { certificateName, loopbackAddress } from '../loopback.ts';
import type { SendMailOptions, Transporter } from 'nodemailer';
import type { Logger } from 'winston';
import type { SmtpConfig } from '../config/schema.ts';
import { classifySmtpError } from './classify-smtp-error.ts';
import { mailTlsOptions } from './plain-login.ts';
import type { MailTokenSource } from './mail-oauth-token.ts';
import { smtpOauth } from './smtp-oauth.ts';

export interface SmtpSendResult {
  messageId: string;
  accepted: string[];
  /** Recipients the server refused while it accepted others (all refused = an error). */
  rejected: string[];
  /** Of those, the ones refused for now (a 4xx: a full mailbox, greylisting), worth another try. */
  deferred: string[];
  /** The server's words for each refusal, as "address: answer". */
  refusals: string[];
  response: string;
}

export interface SmtpSender {
  /** `from` defaults to `smtp.from`. */
  send(message: SendMailOptions): Promise<SmtpSendResult>;
  /** Connects (and logs in) once, to check the settings. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

export interface SmtpSenderOptions {
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  maxConnections?: number;
  /** Require STARTTLS (default: with a login, unless the server is on this host — plain-login.ts). */
  requireStartTls?: boolean;
  /** smtp.auth type oauth2: log in with XOAUTH2 and access tokens from here. */
  tokenSource?: MailTokenSource | undefined;
}

export function createSmtpSender(smtp: SmtpConfig, logger: Logger, options: SmtpSenderOptions = {}): SmtpSender {
  const context = { host: smtp.host, port: smtp.port, user: smtp.user, password: smtp.password };
  const oauth = options.tokenSource ? smtpOauth(smtp, options.tokenSource) : undefined;
  const classify = (err: unknown) => (oauth ? oauth.classify(err, context) : classifySmtpError(err, context));
  const tls = mailTlsOptions(smtp, Boolean(oauth || smtp.user), options.requireStartTls);
  // nodemailer is loaded with the first mail to send, not at start-up.
  const createTransport = async (): Promise<Transporter> => (await import('nodemailer')).default.createTransport({
    // `localhost` is connected to as 127.0.0.1: nodemailer would ask the DNS servers first (loopback.ts).
    host: loopbackAddress(smtp.host),
    port: smtp.port,
    // tls: false = plain connection, upgraded with STARTTLS — required for a login (plain-login.ts).
    secure: tls.secure,
    tls: { rejectUnauthorized: tls.rejectUnauthorized, ...(certificateName(smtp.host) ? { servername: certificateName(smtp.host) } : {}) },
    requireTLS: tls.startTlsRequired,
    ...(oauth ? { auth: oauth.auth } : smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    // With a login configured, log in even where the server does not offer it: nodemailer would
    // otherwise send without one (and check would say the login was accepted), and the relay
    // refuse the first mail to an outside address.
    forceAuth: Boolean(oauth || smtp.user),
    pool: true,
    maxConnections: options.maxConnections ?? 2,
    connectionTimeout: options.connectionTimeoutMs ?? 30_000,
    greetingTimeout: options.greetingTimeoutMs ?? 30_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
    logger: false,
  });
  let transport: Promise<Transporter> | undefined;
  const transporter = () => (transport ??= createTransport());
  let closed = false;

  return {
    async send(message) {
      try {
        const info = await (await transporter()).sendMail({ from: smtp.from, ...message });
        const result: SmtpSendResult = {
          messageId: String(info.messageId),
          accepted: addresses(info.accepted),
          rejected: addresses(info.rejected),
          ...refusalsOf((info as { rejectedErrors?: unknown }).rejectedErrors),
          response: String(info.response ?? ''),
        };
        logger.debug('smtp mail sent', { messageId: result.messageId, accepted: result.accepted.length, rejected: result.rejected });
        return result;
      } catch (err) {
        const error = classify(err);
        logger.debug('smtp send failed', { code: error.code, kind: error.kind, error: error.message });
        throw error;
      }
    },
    async verify() {
      try {
        await (await transporter()).verify();
      } catch (err) {
        throw classify(err);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (transport) (await transport).close();
    },
  };
}

function addresses(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((entry) => (typeof entry === 'string' ? entry : String((entry as { address?: unknown }).address ?? '')));
}

/** nodemailer's `rejectedErrors` (one per refused recipient, with its SMTP answer): which were temporary, and what the server said. */
function refusalsOf(errors: unknown): { deferred: string[]; refusals: string[] } {
  const list = Array.isArray(errors) ? errors as Array<{ recipient?: unknown; responseCode?: unknown; response?: unknown }> : [];
  return {
    deferred: list.filter((e) => typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500).map((e) => String(e.recipient)),
    refusals: list.map((e) => `${String(e.recipient)}: ${typeof e.response === 'string' ? e.response : 'refused'}`),
  };
}
