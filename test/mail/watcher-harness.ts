// Shared set-up for the watcher tests: a watcher on a real Dovecot user with fast test
// timings, a handler that records every call (and downloads the mail, as the real one does)
// and the list of clients the watcher asked for.
import type { ImapFlow } from 'imapflow';
import type { ImapAccountConfig } from '../../src/config/schema.ts';
import { createImapClient } from '../../src/mail/imap-client.ts';
import { startImapWatcher, type ImapWatcher, type MessageOutcome, type WatchedMessage, type WatcherOptions } from '../../src/mail/imap-watcher.ts';
import type { DovecotHandle } from '../support/dovecot.ts';
import { createTestLogger, type TestLogger } from '../support/test-logger.ts';

export interface Harness {
  watcher: ImapWatcher;
  /** Every handler call, in order. */
  calls: WatchedMessage[];
  /** Every ImapFlow the watcher asked for. */
  clients: ImapFlow[];
  log: TestLogger;
}

const running = new Set<ImapWatcher>();

export async function stopAllWatchers(): Promise<void> {
  await Promise.all([...running].map((watcher) => watcher.stop()));
  running.clear();
}

export function testMail(id: string, options: { subject?: string; body?: string; from?: string } = {}): string {
  return [
    `From: ${options.from ?? 'Helen Officer <helen.officer@corp.example>'}`,
    'To: sign@corp.example',
    `Subject: ${options.subject ?? `request ${id}`}`,
    `Message-ID: <${id}@test.example>`,
    'Date: Mon, 23 Nov 2026 09:00:00 +0000',
    '',
    options.body ?? `Body of ${id}.`,
    '',
  ].join('\r\n');
}

export function account(dovecot: DovecotHandle, user: string, password: string): ImapAccountConfig {
  return { host: dovecot.host, port: dovecot.imapPort, tls: false, tls_verify: true, user, password };
}

export interface WatchOptions extends Partial<Omit<WatcherOptions, 'handle'>> {
  /** Decides the outcome after the default bookkeeping; default: moveTo Processed. */
  decide?: (message: WatchedMessage, source: Buffer) => MessageOutcome | Promise<MessageOutcome>;
  logLevel?: 'debug' | 'info';
  /** Runs in the handler before it downloads the mail (e.g. to cut the connection under it). */
  beforeFetch?: (message: WatchedMessage) => Promise<void>;
}

export function watch(dovecot: DovecotHandle, user: string, password: string, options: WatchOptions = {}): Harness {
  const log = createTestLogger(options.logLevel ?? 'info');
  const calls: WatchedMessage[] = [];
  const clients: ImapFlow[] = [];
  const { decide, beforeFetch, logLevel: _level, ...rest } = options;
  const watcher = startImapWatcher({
    name: 'requests',
    account: account(dovecot, user, password),
    folder: 'INBOX',
    ensureFolders: ['Processed', 'Rejected'],
    livenessIntervalMs: 1_000,
    reconnect: { minDelayMs: 100, maxDelayMs: 1_000 },
    messageRetry: { minDelayMs: 300, maxDelayMs: 1_000 },
    logger: log.logger,
    createClient: (config, logger) => {
      const client = createImapClient(config, logger);
      clients.push(client);
      return client;
    },
    ...rest,
    async handle(message) {
      calls.push(message);
      await beforeFetch?.(message);
      const source = await message.fetchSource();
      return decide ? decide(message, source) : { moveTo: 'Processed' };
    },
  });
  running.add(watcher);
  return { watcher, calls, clients, log };
}

export const messageIds = (messages: Array<{ messageId: string | null }>) => messages.map((m) => m.messageId).sort();

/** Message-ID → number of handler calls. */
export function callCounts(calls: WatchedMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.messageId ?? '', (counts.get(call.messageId ?? '') ?? 0) + 1);
  return counts;
}
