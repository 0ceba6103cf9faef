// Shared by the storage fault tests (sqlite-busy, disk-full): short retry delays for mails
// the watcher defers, and the check that a request mail held back by a storage failure was,
// once the failure cleared, processed exactly once — one request sent once, the mail in
// Processed, one counted attempt.
import { afterAll, beforeAll, expect } from 'vitest';
import type { DaemonOptions } from '../../src/daemon.ts';
import { findMessageById } from '../../src/store/messages.ts';
import { getDocuments, listRequests } from '../../src/store/requests.ts';
import { waitFor } from '../support/wait-for.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { startWorld, type World } from '../integration/world.ts';

/** The watcher retries a deferred mail within a second or two instead of 30 s … 30 min. */
const SHORT_MESSAGE_RETRY: DaemonOptions['messageRetry'] = { minDelayMs: 300, maxDelayMs: 1_500 };
/**
 * How long the daemon's writes wait for another process's lock (production: 5 s). The wait
 * blocks the daemon's event loop — and this test's, which shares the process — so a short one
 * keeps the test's own steps from queueing behind it.
 */
export const TEST_BUSY_TIMEOUT_MS = 300;
export const storageFaultDaemon: Parameters<World['startDaemon']>[0] = { messageRetry: SHORT_MESSAGE_RETRY, busyTimeoutMs: TEST_BUSY_TIMEOUT_MS };

/** Registers a world for the test file with the daemon running and its request watcher idle; `after` runs once it is closed. */
export function useStorageFaultWorld(after?: () => void): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld({ completionMails: false });
    world.startDaemon(storageFaultDaemon);
    await waitForIdle(world);
  }, 30_000);
  afterAll(async () => {
    await world?.close();
    after?.();
  });
  return () => world!;
}

/**
 * The daemon settled after its start: the request watcher in IDLE, the scheduler's catch-up
 * runs ended and the job runner idle — nothing else writing to the database while a test
 * fills it up (a catch-up run could take the last free pages between a mail's attempt being
 * counted and taken back).
 */
export async function waitForIdle(world: World): Promise<void> {
  const daemon = world.daemon!;
  await waitFor(() => daemon.requestWatcher.status().state === 'idle', { timeoutMs: 15_000, what: 'the request watcher idle' });
  await daemon.scheduler.idle();
  await daemon.jobs.idle();
}

export const inFolder = (world: World, folder: string) => world.dovecot.list('sign', folder);

/** Attempts counted at mails that have no outcome yet (those still waiting in a folder). */
export function countedAttemptsOfWaitingMail(world: World): number {
  const row = world.daemon!.db.prepare(`SELECT coalesce(sum(attempts), 0) AS n FROM message_attempts a WHERE NOT EXISTS
    (SELECT 1 FROM messages m WHERE m.mailbox = a.mailbox AND m.uid_validity = a.uid_validity AND m.uid = a.uid)`).get() as { n: number };
  return row.n;
}

export async function expectProcessedOnce(world: World, mail: { record: string; messageId: string }): Promise<void> {
  const db = world.daemon!.db;
  const sent = () => listRequests(db, { state: 'sent' }).filter((r) => r.recordNumber === mail.record);
  await waitUntil(world.daemon!.events, () => sent().length > 0, { timeoutMs: 20_000, what: `the request for ${mail.record} to be sent` });
  await waitUntil(world.daemon!.events, async () => (await inFolder(world, 'INBOX')).length === 0, { timeoutMs: 5_000, what: 'INBOX empty' });
  expect(sent()).toHaveLength(1);
  const row = findMessageById(db, 'requests', mail.messageId)!;
  expect(row).toMatchObject({ outcome: 'request', folder: 'Processed' });
  expect(db.prepare('SELECT attempts FROM message_attempts WHERE mailbox = ? AND uid_validity = ? AND uid = ?')
    .get('requests', row.place, row.uid)).toEqual({ attempts: 1 });
  const reference = String(getDocuments(db, sent()[0]!.id)[0]!.providerRef);
  const sends = world.simulator.calls.filter((c) => c.path.endsWith('/SmartTag/Send') && c.status === 200 && JSON.stringify(c.body).includes(reference));
  expect(sends).toHaveLength(1);
}
