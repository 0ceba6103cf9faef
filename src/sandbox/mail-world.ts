// The demo's mail world on loopback, with nothing to install: an in-memory IMAP server that
// holds the mailboxes, and an SMTP server in front of it playing the MTA. Mail for a local
// user (`sign@corp.example`, `sign+hr@corp.example`) is appended to the IMAP INBOX, and mail
// for a local address given a folder (`returns+TOKEN@corp.example` → `Returns`) is filed into
// that folder of the same store — each copy with the Return-Path and Delivered-To headers a
// real delivery agent (Dovecot LMTP) writes, so plus-address routes and return tokens work
// as in production. Everything else — replies to requesters, alerts — is kept in an
// in-memory outbox one can wait on.
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
  /**
   * Further local addresses, each filed into a folder of that same store: local part →
   * folder (top level, created at start). `{ returns: 'Returns' }` files mail for
   * `returns@domain` and `returns+TOKEN@domain` into `Returns` — the demo's return mailbox,
   * a folder of the request account (hoodiecrow cannot give it an account of its own).
   */
  folders?: Record<string, string>;
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
  /** The envelope sender, as written into Return-Path ('' for a null sender). */
  from: string;
  /** Where it was filed: INBOX for a user, the configured folder for a `folders` address. */
  folder: string;
  uid: number;
}

export interface MailWorld {
  imap: { host: string; port: number };
  smtp: { host: string; port: number };
  outbox: Outbox;
  /** Every local delivery into the IMAP store, in order. */
  deliveries: Delivery[];
  /**
   * Since when an IMAP client has been waiting in IDLE (new mail reaches it at once); null if
   * none is. With `folder`, only a client idling on that folder counts.
   */
  imapIdleSince(folder?: string): Date | null;
  close(): Promise<void>;
}

export async function startMailWorld(options: MailWorldOptions): Promise<MailWorld> {
  const domain = (options.domain ?? DEFAULT_MAIL_DOMAIN).toLowerCase();
  const local = new Map<string, string>(Object.keys(options.users).map((u) => [u.toLowerCase(), 'INBOX']));
  for (const [name, folder] of Object.entries(options.folders ?? {})) {
    if (local.has(name.toLowerCase())) throw new Error(`mail world: ${name} is an IMAP user already; its mail goes to the INBOX`);
    local.set(name.toLowerCase(), folder);
  }
  const imap = await startMemoryImapServer({ users: options.users, folders: Object.values(options.folders ?? {}) });
  const outbox = createOutbox();
  const deliveries: Delivery[] = [];

  /** The folder a recipient's mail is filed into; undefined when it is not local. */
  const folderOf = (address: string): string | undefined => {
    const at = address.lastIndexOf('@');
    if (at <= 0 || address.slice(at + 1).toLowerCase() !== domain) return undefined;
    return local.get(address.slice(0, at).split('+')[0]!.toLowerCase());
  };

  async function accept(data: Buffer, envelope: SMTPServerEnvelope): Promise<void> {
    const mailFrom = envelope.mailFrom ? envelope.mailFrom.address : '';
    const rcptTo = envelope.rcptTo.map((r) => r.address);
    // One copy per local recipient, each naming its own recipient, as an MDA delivers.
    for (const to of rcptTo) {
      const folder = folderOf(to);
      if (folder === undefined) continue;
      const trace = Buffer.from(`Return-Path: <${mailFrom}>\r\nDelivered-To: ${to}\r\n`, 'utf8');
      const uid = imap.append(folder, Buffer.concat([trace, data]));
      deliveries.push({ at: new Date(), to, from: mailFrom, folder, uid });
    }
    const remote = rcptTo.filter((r) => folderOf(r) === undefined);
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
    imapIdleSince: (folder) => imap.idleSince(folder),
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
