// An SMTP server that keeps what it is sent, for tests of what signrelay mails out. Real
// smtp-server (no TLS, loopback, free port); it can refuse recipients or demand a login so
// the sender's error classification meets genuine SMTP answers.
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server';
import { waitFor } from './wait-for.ts';

export interface SinkMessage {
  envelope: SMTPServerEnvelope;
  raw: Buffer;
  parsed?: ParsedMail;
}

export interface SmtpSinkOptions {
  /** Return an SMTP reply `{ code, message }` to refuse this recipient, or undefined to accept. */
  refuseRecipient?: (address: string) => { code: number; message: string } | undefined;
  /** Require AUTH with these credentials (plain text allowed, it is loopback). */
  auth?: { user: string; pass: string };
  /** Parse each message with mailparser into `parsed` (default true). */
  parse?: boolean;
  /**
   * Passes each accepted message on (e.g. into Dovecot over LMTP) before the SMTP answer:
   * a relay, so a mail that was accepted has really arrived.
   */
  relay?: (message: SinkMessage) => Promise<void>;
}

export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  /** Waits until `count` messages arrived, or one matches the predicate; returns it. */
  waitFor(countOrPredicate: number | ((message: SinkMessage) => boolean), timeoutMs?: number): Promise<SinkMessage>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    // Pooled clients keep their connection open; do not make close() wait 30 s for them.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      const err = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
      callback(err);
    },
    onRcptTo(address, _session, callback) {
      const refusal = options.refuseRecipient?.(address.address);
      if (!refusal) {
        callback();
        return;
      }
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const envelope = structuredClone(session.envelope);
        const message: SinkMessage = { envelope, raw };
        const parsed = options.parse === false ? Promise.resolve() : simpleParser(raw).then((p) => { message.parsed = p; }, () => undefined);
        parsed
          .then(() => options.relay?.(message))
          .then(() => {
            messages.push(message);
            callback();
          }, (err: unknown) => callback(Object.assign(new Error(`relay failed: ${String(err)}`), { responseCode: 451 })));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    messages,
    async waitFor(countOrPredicate, timeoutMs = 5_000) {
      const what = typeof countOrPredicate === 'number' ? `${countOrPredicate} message(s) at the SMTP sink` : 'a matching message at the SMTP sink';
      const found = (): SinkMessage | undefined => (typeof countOrPredicate === 'number'
        ? messages[Math.max(0, countOrPredicate - 1)]
        : messages.find(countOrPredicate));
      return waitFor(found, { timeoutMs, what, describe: () => messages.map((m) => m.envelope) });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
