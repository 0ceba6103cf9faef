// The demo's mail world on loopback, with nothing to install: an in-memory IMAP server that
// holds the request mailbox, and an SMTP server in front of it playing the MTA. Mail for a
// local user (`sign@corp.example`, `sign+hr@corp.example`) is appended to the IMAP INBOX
// with the Return-Path and Delivered-To headers a real delivery agent (Dovecot LMTP) writes,
// so plus-address routes work as in production. Everything else — replies to requesters,
// completion mails for `returns+TOKEN@…` — is kept in an in-memory outbox one can wait on.
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server';
import { startMemoryImapServer } from './memory-imap-server.ts';

export const DEFAULT_MAIL_DOMAIN = 'corp.example';
const DEFAULT_WAIT_MS = 5_000;

export interface MailWorldOptions {
  /**
   * IMAP logins (user → password); mail to `user@domain` and `user+detail@domain` is
   * delivered to the INBOX. The in-memory server keeps ONE store that every login sees, so
   * in practice this is one mailbox (e.g. `{ sign: password }`).
   */
  users: Record<string, string>;
  /** The domain whose users' mail is delivered locally (default corp.example). */
  domain?: string;
}

export interface OutboxMessage {
  at: Date;
  envelope: { mailFrom: string; rcptTo: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface Outbox {
  messages: OutboxMessage[];
  /** The first message (already there or still to come) that matches; rejects after the timeout. */
  waitFor(predicate?: (message: OutboxMessage) => boolean, timeoutMs?: number): Promise<OutboxMessage>;
}

export interface Delivery {
  at: Date;
  /** The envelope recipient, as written into Delivered-To. */
  to: string;
  folder: 'INBOX';
  uid: number;
}

export interface MailWorld {
  imap: { host: string; port: number };
  smtp: { host: string; port: number };
  outbox: Outbox;
  /** Every local delivery into the IMAP store, in order. */
  deliveries: Delivery[];
  /** Since when an IMAP client has been waiting in IDLE (new mail reaches it at once); null if none is. */
  imapIdleSince(): Date | null;
  close(): Promise<void>;
}

export async function startMailWorld(options: MailWorldOptions): Promise<MailWorld> {
  const domain = (options.domain ?? DEFAULT_MAIL_DOMAIN).toLowerCase();
  const users = new Set(Object.keys(options.users).map((u) => u.toLowerCase()));
  const imap = await startMemoryImapServer({ users: options.users });
  const outbox = createOutbox();
  const deliveries: Delivery[] = [];

  const isLocal = (address: string): boolean => {
    const at = address.lastIndexOf('@');
    const user = address.slice(0, at).split('+')[0]!.toLowerCase();
    return at > 0 && address.slice(at + 1).toLowerCase() === domain && users.has(user);
  };

  async function accept(data: Buffer, envelope: SMTPServerEnvelope): Promise<void> {
    const mailFrom = envelope.mailFrom ? envelope.mailFrom.address : '';
    const rcptTo = envelope.rcptTo.map((r) => r.address);
    // One copy per local recipient, each naming its own recipient, as an MDA delivers.
    for (const to of rcptTo.filter(isLocal)) {
      const trace = Buffer.from(`Return-Path: <${mailFrom}>\r\nDelivered-To: ${to}\r\n`, 'utf8');
      const uid = imap.append('INBOX', Buffer.concat([trace, data]));
      deliveries.push({ at: new Date(), to, folder: 'INBOX', uid });
    }
    const remote = rcptTo.filter((r) => !isLocal(r));
    if (remote.length > 0) {
      outbox.add({ at: new Date(), envelope: { mailFrom, rcptTo: remote }, raw: data, parsed: await simpleParser(data) });
    }
  }

  const smtp = new SMTPServer({
    secure: false,
    // Loopback only and no credentials to protect: no TLS, no AUTH, no reverse DNS lookup
    // (which alone can hold the greeting for 1.5 s).
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    disableReverseLookup: true,
    name: `mx.${domain}`,
    logger: false,
    socketTimeout: 30_000,
    // The daemon's pooled SMTP client keeps its connection open: do not let close() wait 30 s.
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        accept(Buffer.concat(chunks), session.envelope).then(() => callback(), (err: unknown) => {
          callback(Object.assign(new Error(`delivery failed: ${err instanceof Error ? err.message : String(err)}`), { responseCode: 451 }));
        });
      });
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      smtp.once('error', reject);
      smtp.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await imap.close();
    throw err;
  }
  smtp.on('error', () => undefined);
  const { address, port } = smtp.server.address() as AddressInfo;

  return {
    imap: { host: imap.host, port: imap.port },
    smtp: { host: address, port },
    outbox,
    deliveries,
    imapIdleSince: () => imap.idleSince(),
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await imap.close();
    },
  };
}

function createOutbox(): Outbox & { add(message: OutboxMessage): void } {
  const messages: OutboxMessage[] = [];
  const waiters = new Set<(message: OutboxMessage) => void>();
  return {
    messages,
    add(message) {
      messages.push(message);
      for (const waiter of [...waiters]) waiter(message);
    },
    waitFor(predicate = () => true, timeoutMs = DEFAULT_WAIT_MS) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (message: OutboxMessage) => {
          let matches: boolean;
          try {
            matches = predicate(message);
          } catch (err) {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(err);
            return;
          }
          if (!matches) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(message);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const held = messages.map((m) => `${m.envelope.rcptTo.join(',')}: ${m.parsed.subject ?? ''}`);
          reject(new Error(`no matching mail reached the outbox within ${timeoutMs} ms (it holds ${held.length}${held.length ? `: ${held.join('; ')}` : ''})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}
