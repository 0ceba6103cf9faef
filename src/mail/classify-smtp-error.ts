// Turns a nodemailer failure into a SignrelayError. Whether a failure is permanent is decided
// by where it came from: only a real SMTP answer (5xx) about the mail is permanent; no answer
// at all (connection, timeout) or a 4xx is transient — before any recipient, or a 421, the
// server not taking mail at all; 535/534/530 is auth; an unverifiable certificate, a 5xx
// before any recipient (this host, the sender address) or STARTTLS missing before a login is
// config. A failure without an answer is told apart by how far the session got:
// `smtp_unavailable` when the server was never reached (nothing can have gone out: waiting
// and trying again is safe), `smtp_dropped` when the connection ended or went silent once it
// was open — after the message's last line the server may have taken it, and a mail sent
// again may arrive twice. Pure; the password is scrubbed from every text as a last guard.
import { hostAndPort, localhostNote } from '../loopback.ts';
import { SignrelayError, isSignrelayError } from '../errors.ts';

export interface SmtpErrorContext {
  host: string;
  port: number;
  user?: string | undefined;
  /** Masked wherever it might appear. */
  password?: string | undefined;
}

interface NodemailerErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  command?: unknown;
  /** Node's TLS code (e.g. DEPTH_ZERO_SELF_SIGNED_CERT) or socket code (ECONNREFUSED) under nodemailer's ESOCKET. */
  originalCode?: unknown;
  /** Which of nodemailer's timeouts ended it (ETIMEDOUT). */
  timeoutType?: unknown;
}

/** Socket failures of the connect itself: no session was ever open. */
const CONNECT_FAILURE_RE = /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|EAI_AGAIN)\b/;
/** nodemailer's timeouts before the server greeted (or finished TLS): no command was sent. */
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/**
 * nodemailer's pool, when connections closed again and again before the message was handed to
 * one (a server or load balancer that accepts and hangs up before its greeting): it gave the
 * message to a new connection each time, which it does only for a message not yet sent.
 */
const POOL_NEVER_SENT_RE = /^Reached maximum number of retries after connection was closed/;

/** Whether a failure without an SMTP answer came before any session was open. */
function neverReached(fields: NodemailerErrorFields, code: string, detail: string): boolean {
  if (code === 'EDNS') return true;
  if (code === 'ECONNECTION' && POOL_NEVER_SENT_RE.test(detail)) return true;
  if (code === 'ETIMEDOUT') return typeof fields.timeoutType === 'string' ? SETUP_TIMEOUTS.has(fields.timeoutType) : /^(Connection timeout|Greeting never received)/.test(detail);
  const socketCode = typeof fields.originalCode === 'string' ? fields.originalCode : '';
  return (code === 'ESOCKET' || code === 'ECONNECTION') && (CONNECT_FAILURE_RE.test(socketCode) || CONNECT_FAILURE_RE.test(detail));
}

/** The SMTP steps before any recipient is named (nodemailer's `command`): a refusal there is not about the mail. */
const BEFORE_RECIPIENTS = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS', 'MAIL FROM']);
/** Exchange's refusal to send as the From address, given after the message (554 5.2.0 … SendAsDenied). */
const SEND_AS_DENIED_RE = /SendAsDenied|SendAs[ -]?permission/i;

const CERTIFICATE_RE = /certificate|self[- ]signed|unable[ _]to[ _](verify|get)|CERT|altnames/i;
const AUTH_CODES = new Set([530, 534, 535, 538]);

export function classifySmtpError(err: unknown, context: SmtpErrorContext): SignrelayError {
  if (isSignrelayError(err)) return err;
  const fields: NodemailerErrorFields = typeof err === 'object' && err !== null ? (err as NodemailerErrorFields) : {};
  const code = typeof fields.code === 'string' ? fields.code : '';
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const scrub = (text: string) =>
    context.password && context.password.length >= 4 ? text.split(context.password).join('[redacted]') : text;
  const answer = scrub(typeof fields.response === 'string' ? fields.response : '');
  const detail = scrub(answer || (typeof fields.message === 'string' ? fields.message : String(err)));
  const server = hostAndPort(context.host, context.port);
  const tlsCode = typeof fields.originalCode === 'string' ? fields.originalCode : '';

  const command = typeof fields.command === 'string' ? fields.command.toUpperCase() : '';
  if (responseCode === 421 || (responseCode !== undefined && responseCode >= 400 && responseCode < 500 && BEFORE_RECIPIENTS.has(command))) {
    // "Service not available" (421, at any step — the login's included), or a refusal for now
    // before any recipient was named (its own resources: a full queue disk at MAIL FROM, TLS
    // not available now): the server is not taking mail, from anyone. Nothing went out; the
    // mail waits for it as for a server that is down.
    return new SignrelayError('transient', 'smtp_unavailable',
      `The SMTP server ${server} is not taking mail now (${detail}). Mail waits and is retried.`, { cause: err });
  }
  if (code === 'EAUTH' && responseCode !== undefined && responseCode >= 500 && responseCode <= 503) {
    // 500–503: the server does not know AUTH here (a relay or MX port, not the submission port).
    // 504 is not that: Exchange Online answers "504 5.7.4 Unrecognized authentication type"
    // when SMTP AUTH is switched off for the tenant or the mailbox — a refused login, below.
    return new SignrelayError('config', 'smtp_no_login',
      `The SMTP server ${server} offers no login on port ${context.port} (${detail}), though smtp.user is set: use the mail service's submission port ` +
      '(587, or 465 with smtp.tls: true), or remove smtp.user if this server relays without a login.', { cause: err });
  }
  if (code === 'EAUTH' || (responseCode !== undefined && AUTH_CODES.has(responseCode))) {
    return new SignrelayError('auth', 'smtp_auth_failed',
      `The SMTP server ${server} refused the login${context.user ? ` of "${context.user}"` : ''} (${detail}). ` +
      'Check smtp.user and smtp.password.', { cause: err });
  }
  if ((code === 'ESOCKET' || code === 'ETLS' || code === 'ECONNECTION') &&
      (CERTIFICATE_RE.test(detail) || CERTIFICATE_RE.test(tlsCode))) {
    // Node appends its own hint after a ';' (--use-system-ca); ours is the one to follow.
    const summary = detail.split(';')[0]!.trim();
    const reason = tlsCode && tlsCode !== summary ? `${tlsCode}: ${summary}` : summary;
    const optOut = 'or, only for a server you control, set smtp.tls_verify: false; then restart signrelay. Mail waits until then.';
    if (tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || tlsCode === 'HOSTNAME_MISMATCH') {
      return new SignrelayError('config', 'smtp_tls_verify',
        `The certificate of the SMTP server ${server} is not issued for "${context.host}" (${reason}). Set smtp.host ` +
        `to a name the certificate is issued for, ${optOut}`, { cause: err });
    }
    return new SignrelayError('config', 'smtp_tls_verify',
      `The certificate of the SMTP server ${server} could not be verified (${reason}). If it comes from your own ` +
      `certificate authority, trust that CA: start signrelay with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; ${optOut}`, { cause: err });
  }
  if (code === 'ETLS' && command === 'STARTTLS' && responseCode !== undefined && context.user) {
    // Refused or not offered: the login would cross the network in clear text (plain-login.ts).
    return new SignrelayError('config', 'smtp_starttls_missing',
      `The SMTP server ${server} does not offer STARTTLS (${detail}), and signrelay sends its login only over an encrypted connection: ` +
      'enable STARTTLS on the server, or use its TLS port (465) with smtp.tls: true. (A relay on this host — 127.0.0.1 — may be plain.) Mail waits until then.', { cause: err });
  }
  if (code === 'ETLS' || /wrong version number|ssl routines/i.test(detail)) {
    return new SignrelayError('config', 'smtp_tls_mismatch',
      `TLS with the SMTP server ${server} failed (${detail}). Check smtp.tls and smtp.port ` +
      '(tls: true goes with port 465, tls: false with 587 or 25).', { cause: err });
  }
  if (code === 'EDNS' && /ENOTFOUND/.test(detail)) {
    return new SignrelayError('config', 'smtp_host_unknown',
      `The SMTP server name "${context.host}" does not resolve. Check smtp.host.`, { cause: err });
  }
  if (responseCode !== undefined && responseCode >= 500 && (command === 'MAIL FROM' || SEND_AS_DENIED_RE.test(detail))) {
    // The relay will not send as smtp.from for this account: every mail meets it, so it is a
    // setting to fix (the mail waits for it), not a mail to give up.
    return new SignrelayError('config', 'smtp_sender_refused',
      `The SMTP server ${server} refused signrelay's sender address (${detail}): set smtp.from to an address ` +
      `${context.user ? `"${context.user}" (smtp.user) may send as, or give that account the right to send as it` : 'the server accepts from this host'}; ` +
      'then reload signrelay. Mail waits until then.', { cause: err });
  }
  if (responseCode !== undefined && responseCode >= 500 && BEFORE_RECIPIENTS.has(command)) {
    // Refused before any mail was named — at the greeting or EHLO (554 "no relay for you"):
    // the server will not take signrelay's connection at all, whatever the mail.
    return new SignrelayError('config', 'smtp_refused_connection',
      `The SMTP server ${server} refuses signrelay's connection (${detail}): check smtp.host and smtp.port, and that the server accepts mail from this host. Mail waits until then.`, { cause: err });
  }
  if (responseCode !== undefined && responseCode >= 500) {
    return new SignrelayError('permanent', 'smtp_rejected',
      `The SMTP server ${server} refused the message for good (${detail}).`, { cause: err });
  }
  if (responseCode !== undefined && responseCode >= 400) {
    // A 4xx anywhere else — a recipient's (greylisting, a full mailbox), or the message's
    // after its final dot (nodemailer's EMESSAGE: a busy queue, a content filter) — is "not
    // now": nothing was accepted, and it is tried again.
    return new SignrelayError('transient', 'smtp_deferred',
      `The SMTP server ${server} asked to try again later (${detail}).`, { cause: err });
  }
  if (code === 'EMESSAGE') {
    return new SignrelayError('permanent', 'smtp_bad_message', `The mail could not be built: ${detail}`, { cause: err });
  }
  if (neverReached(fields, code, detail)) {
    // A port that expects TLS from the start says nothing to a plain connection: no greeting.
    const noGreeting = fields.timeoutType === 'GREETING_TIMEOUT' || /^Greeting never received/.test(detail);
    return new SignrelayError('transient', 'smtp_unavailable',
      `The SMTP server ${server} could not be reached (${code || 'error'}: ${detail}). ` +
      'Mail waits and is retried; if this lasts, check that the server is running, and smtp.host and smtp.port' +
      (noGreeting ? `; a port that expects TLS from the start (usually 465) sends no greeting to a plain connection: then set smtp.tls: true.` : '.') +
      (/ECONNREFUSED/.test(`${code} ${detail}`) ? localhostNote(context.host, 'smtp.host') : ''),
      { cause: err });
  }
  return new SignrelayError('transient', 'smtp_dropped',
    `The connection to the SMTP server ${server} ended before it answered (${code || 'error'}: ${detail}): ` +
    'the mail may have gone out.',
    { cause: err, outcomeUnknown: true });
}
