// The simulated instance's email reader: polls its mailbox over IMAP every pollIntervalMs,
// hands each unseen mail to the inbound action (apply-inbound-mail.ts), then marks it
// \Seen and moves it to Processed. One imapflow client at a time; any error drops it and
// the next pass connects afresh (a closed ImapFlow cannot be reused). Messages are fetched
// into memory first and acted on after the fetch loop: IMAP commands inside a fetch
// iteration deadlock imapflow.
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { applyInboundMail, DEFAULT_MAX_BODY_CHARS, DEFAULT_MAX_TOTAL_ATTACHMENT_BYTES, type ProcessedMail } from './apply-inbound-mail.ts';
import { DEFAULT_FORWARD_PREFIXES, DEFAULT_REPLY_PREFIXES, type ClassifyInboundOptions } from './classify-inbound.ts';
import type { InboundActionsContext } from './inbound-actions.ts';
import type { SimInstance } from './instance.ts';

export interface InboundOptions {
  imap: { host: string; port: number; user: string; password: string; tls?: boolean };
  pollIntervalMs: number;
  /** glide.email.reply_subject_prefix, case-sensitive. */
  replyPrefixes?: string[];
  /** glide.email.forward_subject_prefix. */
  forwardPrefixes?: string[];
  maxTotalAttachmentBytes?: number;
  maxAttachmentCount?: number;
  maxBodyChars?: number;
  folder?: string; // default INBOX
  processedFolder?: string; // default Processed
}

export interface InboundProcessor {
  /** One entry per mail acted on, in order. */
  processed: ProcessedMail[];
  /** Connection and parsing problems, newest last (the reader carries on). */
  errors: string[];
  /** IMAP connections made so far (more than one = it reconnected). */
  readonly connections: number;
  /** The first processed mail (already there or still to come) that matches. */
  waitFor(predicate: (mail: ProcessedMail) => boolean, timeoutMs?: number): Promise<ProcessedMail>;
  close(): Promise<void>;
}

type Lookups = Pick<ClassifyInboundOptions, 'watermark' | 'sentMail'>;

const DEFAULT_WAIT_MS = 10_000;
/** glide.email.inbound.max_attachment_count's default. */
const DEFAULT_MAX_ATTACHMENT_COUNT = 30;

/** `actions`: the imported update set's inbound actions; without one, the default action (attach, comment). */
export function startInboundProcessor(options: InboundOptions, instance: SimInstance, lookups: Lookups, actions?: InboundActionsContext): InboundProcessor {
  const folder = options.folder ?? 'INBOX';
  const processedFolder = options.processedFolder ?? 'Processed';
  const limits = {
    maxTotalAttachmentBytes: options.maxTotalAttachmentBytes ?? DEFAULT_MAX_TOTAL_ATTACHMENT_BYTES,
    maxAttachmentCount: options.maxAttachmentCount ?? DEFAULT_MAX_ATTACHMENT_COUNT,
    maxBodyChars: options.maxBodyChars ?? DEFAULT_MAX_BODY_CHARS,
  };
  const classify = {
    ...lookups, replyPrefixes: options.replyPrefixes ?? DEFAULT_REPLY_PREFIXES, forwardPrefixes: options.forwardPrefixes ?? DEFAULT_FORWARD_PREFIXES,
  };
  const processed: ProcessedMail[] = [];
  const errors: string[] = [];
  const waiters = new Set<{ predicate: (m: ProcessedMail) => boolean; resolve: (m: ProcessedMail) => void }>();
  let client: ImapFlow | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  let connections = 0;

  const note = (what: string, err: unknown) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);

  function publish(entry: ProcessedMail): void {
    processed.push(entry);
    for (const waiter of waiters) {
      if (waiter.predicate(entry)) {
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  }

  async function connected(): Promise<ImapFlow> {
    if (client?.usable) return client;
    const fresh = new ImapFlow({
      host: options.imap.host, port: options.imap.port, secure: options.imap.tls ?? false, tls: { rejectUnauthorized: false },
      auth: { user: options.imap.user, pass: options.imap.password }, logger: false, disableAutoIdle: true,
    });
    fresh.on('error', (err: unknown) => note('imap', err));
    client = fresh;
    connections++;
    await fresh.connect();
    const exists = (await fresh.list()).some((box) => box.path === processedFolder);
    if (!exists) await fresh.mailboxCreate(processedFolder);
    return fresh;
  }

  async function pass(): Promise<void> {
    const imap = await connected();
    const lock = await imap.getMailboxLock(folder);
    try {
      const uids = await imap.search({ seen: false }, { uid: true });
      if (!uids || uids.length === 0) return;
      const mails: Array<{ uid: number; source: Buffer }> = [];
      for await (const message of imap.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) {
        if (message.source) mails.push({ uid: message.uid, source: message.source });
      }
      for (const { uid, source } of mails) {
        let entry: ProcessedMail | null = null;
        try {
          entry = applyInboundMail(await simpleParser(source), instance, classify, limits, actions);
        } catch (err) {
          note(`mail uid ${uid}`, err); // still filed away, or it would be read on every pass
        }
        await imap.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        await imap.messageMove(String(uid), processedFolder, { uid: true });
        if (entry) publish(entry);
      }
    } finally {
      lock.release();
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await pass();
      } catch (err) {
        if (!stopped) note('poll', err);
        const dead = client as ImapFlow | null;
        client = null;
        dead?.close();
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    processed,
    errors,
    get connections() {
      return connections;
    },
    waitFor(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      const done = processed.find(predicate);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: ProcessedMail) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching inbound mail within ${timeoutMs} ms; processed: ${JSON.stringify(processed.map((p) => [p.subject, p.classification]))}; errors: ${errors.join(' | ')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      stopped = true;
      wake?.();
      await loop;
      const last = client;
      client = null;
      if (last?.usable) await last.logout().catch(() => last.close());
      else last?.close();
    },
  };
}
