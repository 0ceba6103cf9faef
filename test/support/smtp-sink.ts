// An SMTP server that keeps what it is sent, for tests of what signrelay mails out. Real
// smtp-server (loopback, free port; plain, or STARTTLS with a given certificate); it can
// refuse recipients or demand a login so the sender's error classification meets genuine
// SMTP answers, and it can be stopped and started again on the same port (an outage).
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo, Socket } from 'node:net';
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
  /** Return an SMTP reply to refuse the connection at its greeting (421: not taking mail now). */
  refuseConnection?: () => { code: number; message: string } | undefined;
  /** Return an SMTP reply to refuse the sender at MAIL FROM. */
  refuseSender?: (address: string) => { code: number; message: string } | undefined;
  /** Return an SMTP reply to refuse the message after its final dot (nothing kept). */
  refuseMessage?: () => { code: number; message: string } | undefined;
  /** Require AUTH with these credentials (plain text allowed, it is loopback). */
  auth?: { user: string; pass: string };
  /** With `auth`: offer AUTH (and check the credentials given) but accept mail without it too, as a relay open to its own network. */
  authOptional?: boolean;
  /** Parse each message with mailparser into `parsed` (default true). */
  parse?: boolean;
  /**
   * Passes each accepted message on (e.g. into Dovecot over LMTP) before the SMTP answer:
   * a relay, so a mail that was accepted has really arrived.
   */
  relay?: (message: SinkMessage) => Promise<void>;
  /** Offer STARTTLS with this certificate (clients that upgrade must trust it). */
  tls?: { key: Buffer; cert: Buffer };
  /** Require AUTH XOAUTH2: true when the bearer token lets `user` send (e.g. the mail-oauth simulator's verdict). */
  xoauth2?: (user: string, accessToken: string) => boolean;
}

export interface SmtpSink {
  port: number;
  messages: SinkMessage[];
  /** Logins the server was sent (AUTH), with whether the connection was encrypted then. */
  logins: Array<{ user: string; secure: boolean }>;
  /** Waits until `count` messages arrived, or one matches the predicate; returns it. */
  waitFor(countOrPredicate: number | ((message: SinkMessage) => boolean), timeoutMs?: number): Promise<SinkMessage>;
  /** The server goes down: open connections are dropped, new ones refused. */
  stop(): Promise<void>;
  /** Back up on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const logins: SmtpSink['logins'] = [];
  // A closed SMTPServer answers 421 for good: an outage ends with a fresh one on the same port.
  const createServer = () => new SMTPServer({
    secure: false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disabledCommands: [...(options.tls ? [] : ['STARTTLS']), ...(options.auth || options.xoauth2 ? [] : ['AUTH'])],
    authOptional: options.authOptional ?? (!options.auth && !options.xoauth2),
    ...(options.xoauth2 ? { authMethods: ['XOAUTH2', ...(options.auth ? ['PLAIN', 'LOGIN'] : [])] } : {}),
    allowInsecureAuth: true,
    logger: false,
    // Pooled clients keep their connection open; do not make close() wait 30 s for them.
    closeTimeout: 200,
    onAuth(auth, session, callback) {
      logins.push({ user: auth.username ?? '', secure: Boolean(session.secure) });
      if (auth.method === 'XOAUTH2') {
        // A refused token gets the XOAUTH2 error challenge (334 + JSON), as Gmail and Exchange answer.
        if (options.xoauth2?.(auth.username ?? '', auth.accessToken ?? '')) callback(null, { user: auth.username });
        else callback(null, { data: { status: '401', schemes: 'bearer' } });
        return;
      }
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      const err = Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 });
      callback(err);
    },
    onConnect(_session, callback) {
      const refusal = options.refuseConnection?.();
      callback(refusal ? Object.assign(new Error(refusal.message), { responseCode: refusal.code }) : undefined);
    },
    onMailFrom(address, _session, callback) {
      const refusal = options.refuseSender?.(address.address);
      callback(refusal ? Object.assign(new Error(refusal.message), { responseCode: refusal.code }) : undefined);
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
        const refusal = options.refuseMessage?.();
        if (refusal) {
          callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
          return;
        }
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
  let server = createServer();
  // Open connections, so that stop() is an outage (connections drop) rather than a polite 421.
  const sockets = new Set<Socket>();
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve();
    });
  });
  await listen(0);
  const port = (server.server.address() as AddressInfo).port;
  let listening = true;
  const stop = () => new Promise<void>((resolve) => {
    if (!listening) return resolve();
    listening = false;
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });

  return {
    port,
    messages,
    logins,
    async waitFor(countOrPredicate, timeoutMs = 5_000) {
      const what = typeof countOrPredicate === 'number' ? `${countOrPredicate} message(s) at the SMTP sink` : 'a matching message at the SMTP sink';
      const found = (): SinkMessage | undefined => (typeof countOrPredicate === 'number'
        ? messages[Math.max(0, countOrPredicate - 1)]
        : messages.find(countOrPredicate));
      return waitFor(found, { timeoutMs, what, describe: () => messages.map((m) => m.envelope) });
    },
    stop,
    async start() {
      if (listening) return;
      server = createServer();
      await listen(port);
      listening = true;
    },
    close: stop,
  };
}
