// The integration world for hostile mail: the usual world (real Dovecot, SMTP sink,
// simulators, the real daemon), with tighter limits so oversize input stays cheap to build,
// a shorter PDF time limit so a spinning PDF costs seconds, and a byte-counting TCP proxy
// between the daemon and Dovecot's IMAP port — the honest way to show a mail was never
// downloaded. Plus lookups: which folders hold a Message-ID (doveadm), and its outcome row.
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { setPdfWorkerLimits, type PdfWorkerLimits } from '../../src/pdf/pdf-pool.ts';
import { countJobs } from '../../src/store/jobs.ts';
import { findMessageById, type MessageRow } from '../../src/store/messages.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { reportOnFailure, startWorld, type World } from '../integration/world.ts';
import { REQUESTS_MAILBOX } from '../../src/intake/process-request-mail.ts';

export const HOSTILE_LIMITS = { max_mail_bytes: 6_000_000, max_pdf_bytes: 3_000_000, max_pages: 50 } as const;
/**
 * The PDF worker's limits in this world: a spinning PDF is cut off after 5 s of its own time
 * instead of 20, and a task is never given up as starved of CPU. On a machine busy enough
 * (the suite beside another) a worker gets a fifth of a core: 10 s of its time took a minute
 * on the clock and more — past the 6× the daemon allows a starved task, tried again, and past
 * the test's wait. The heap limit is 64 MB, as in pdf-worker-limits.test.ts: filling the
 * default 256 MB costs V8's collector seconds of CPU and proves no more (the default is
 * asserted there). The small PDFs of the other cases need a fraction of either; 3 s was
 * tried and, with two suites on the machine, cut off the bomb posing as an image (~2–3 s of
 * inflating before the allocation cap refuses it) before the cap did.
 */
export const HOSTILE_PDF_LIMITS: Partial<PdfWorkerLimits> = { timeoutMs: 5_000, maxHeapMb: 64, starvedAfterLimits: Number.POSITIVE_INFINITY };

export interface ByteCounter {
  port: number;
  /** Bytes Dovecot has sent to the daemon so far. */
  downloaded(): number;
  close(): Promise<void>;
}

/** A TCP proxy to `targetPort` that counts what the server sends. */
export async function startCountingProxy(targetPort: number): Promise<ByteCounter> {
  let downloaded = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => (downloaded += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    downloaded: () => downloaded,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export interface HostileWorld {
  world: World;
  imap: ByteCounter;
  dataDir: string;
}

export function useHostileWorld(): () => HostileWorld {
  let hostile: HostileWorld | undefined;
  let previousPdfLimits: PdfWorkerLimits | undefined;
  beforeAll(async () => {
    const world = await startWorld();
    const imap = await startCountingProxy(world.dovecot.imapPort);
    // The configuration object is the daemon's only input: set before it starts.
    world.config.mailboxes.requests.port = imap.port;
    Object.assign(world.config.limits, HOSTILE_LIMITS);
    previousPdfLimits = setPdfWorkerLimits(HOSTILE_PDF_LIMITS);
    world.startDaemon();
    hostile = { world, imap, dataDir: world.config.storage.data_dir };
  }, 60_000);
  reportOnFailure(() => hostile?.world);
  afterAll(async () => {
    await hostile?.world.close();
    await hostile?.imap.close();
    if (previousPdfLimits) setPdfWorkerLimits(previousPdfLimits);
  });
  return () => hostile!;
}

/** The folders of user `sign` holding a mail with this Message-ID (one entry per copy). */
export async function foldersHolding(world: World, messageId: string): Promise<string[]> {
  const conf = join(world.dovecot.dir, 'dovecot.conf');
  const { stdout: out } = await promisify(execFile)('doveadm', ['-c', conf, '-f', 'json', 'fetch', '-u', 'sign', 'mailbox', 'header', 'message-id', messageId]);
  return (JSON.parse(out || '[]') as Array<{ mailbox: string }>).map((row) => row.mailbox).sort();
}

/** Waits until the mail's outcome is committed and it has been moved out of the watched folder. */
export async function waitUntilFiled(world: World, messageId: string, timeoutMs: number): Promise<MessageRow> {
  return waitUntil(world.daemon!.events, () => {
    const row = findMessageById(world.daemon!.db, REQUESTS_MAILBOX, messageId);
    return row?.movedAt ? row : undefined;
  }, { timeoutMs, what: `${messageId} filed and moved`, describe: () => world.logs.slice(-5) });
}

/** Waits until no job is pending (replies sent, requests submitted). */
export async function waitUntilJobsSettle(world: World): Promise<void> {
  await waitUntil(world.daemon!.events, () => countJobs(world.daemon!.db).pending === 0, { timeoutMs: 15_000, what: 'no pending jobs', describe: () => countJobs(world.daemon!.db) });
}

/** Every file under `dir`, relative to it. */
export function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const relative = prefix ? `${prefix}/${name}` : name;
    return statSync(path).isDirectory() ? [`${relative}/`, ...filesUnder(path, relative)] : [relative];
  });
}
