// Disk full, through the whole daemon: a request mail that arrives while the data directory
// cannot take more stays in INBOX, uncounted; the daemon keeps running and says, without a
// stack, that storage.data_dir is full; once there is room again the mail is processed
// exactly once. Two real sources of "full":
// - the database cannot grow: SQLite's own SQLITE_FULL, from PRAGMA max_page_count on the
//   daemon's connection (runs everywhere);
// - the filesystem is full: a small tmpfs under the data dir, filled up (ENOSPC from the
//   kernel to SQLite and the blob store). Where this machine may not mount (an unprivileged
//   CI container), the blob store's temp file is put on /dev/full instead — the kernel's
//   ENOSPC all the same, for the blob write only.
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { BlobStore, sha256 } from '../../src/store/blobs.ts';
import type { LogEntry } from '../support/test-logger.ts';
import { waitFor } from '../support/wait-for.ts';
import { buildMail, contractPdf } from '../integration/world.ts';
import { daemonLog, linesWithStackTraces } from './imap-fault-world.ts';
import { fillUp, mountTmpfs, removeFiller, unmountTmpfs } from './disk-tmpfs.ts';
import { countedAttemptsOfWaitingMail, expectProcessedOnce, inFolder, storageFaultDaemon, useStorageFaultWorld, waitForIdle } from './storage-fault-checks.ts';
import { securedSigningOf } from '../support/provider-config.ts';
import { HEALTH_LIMITS } from '../../src/health/health-limits.ts';
import { healthNow } from '../../src/health/observability-server.ts';

const CAN_MOUNT = ((): boolean => {
  const probe = mkdtempSync(join(tmpdir(), 'signrelay-tmpfs-probe-'));
  const mounted = mountTmpfs(probe, 1 << 20);
  if (mounted) unmountTmpfs(probe);
  rmSync(probe, { recursive: true, force: true });
  return mounted;
})();

const mounts: string[] = [];
const getWorld = useStorageFaultWorld(() => mounts.forEach(unmountTmpfs));

async function deliverRequest(record: string, messageId: string, subject = `Contract for ${record}`): Promise<void> {
  await getWorld().dovecot.deliver('sign@corp.example', await buildMail({
    subject, text: 'Signer: Ann Lee <ann.lee@example.com>', messageId,
    attachments: [{ filename: 'contract.pdf', content: await contractPdf(`Contract ${record}`) }],
  }));
}

/** The watcher's line for the held-back mail, once the storage failure hit it. */
async function storageFailure(since: number): Promise<LogEntry> {
  return waitFor(() => daemonLog(getWorld()).slice(since).find((e) => e.message === 'mail handler failed; will retry'),
    { timeoutMs: 20_000, what: 'the mail handler failing on the full data dir' });
}

async function expectHeldBack(line: LogEntry, since: number, dataDir: string, cause: RegExp): Promise<void> {
  const world = getWorld();
  expect(line).toMatchObject({ level: 'warn', mailbox: 'requests' });
  expect(line.error).toContain(`storage.data_dir ${dataDir} is full: free space on its filesystem`);
  expect(line.error).toMatch(cause);
  expect(await inFolder(world, 'INBOX')).toHaveLength(1);
  // Not counted: after two failed attempts at most the one under way is (a retry may have
  // started by now; counted failures would make it two or three).
  const failures = () => daemonLog(world).slice(since).filter((e) => e.message === 'mail handler failed; will retry').length;
  await waitFor(() => failures() >= 2 || undefined, { timeoutMs: 20_000, what: 'a second failed attempt at the held-back mail' });
  expect(countedAttemptsOfWaitingMail(world)).toBeLessThanOrEqual(1);
}

it('holds a mail while the database cannot grow (SQLITE_FULL), then processes it once', async () => {
  const world = getWorld();
  await waitForIdle(world);
  const { db } = world.daemon!;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const freePages = db.pragma('freelist_count', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  expect(db.pragma(`max_page_count = ${pages}`, { simple: true })).toBe(pages);
  // A subject longer than the free pages hold: the request row needs pages the file cannot get.
  const longSubject = `Contract for RITM0010005 ${'with a long story '.repeat(Math.ceil(((freePages + 2) * pageSize) / 18))}`;
  const since = daemonLog(world).length;
  await deliverRequest('RITM0010005', '<db-full-1@corp.example>', longSubject);
  const line = await storageFailure(since);
  await expectHeldBack(line, since, world.config.storage.data_dir, /\(SQLITE_FULL: database or disk is full\)/);

  db.pragma('max_page_count = 1073741823');
  await expectProcessedOnce(world, { record: 'RITM0010005', messageId: '<db-full-1@corp.example>' });
  expect(linesWithStackTraces(world)).toEqual([]);
});

it(`holds a mail while the data dir's filesystem is full (ENOSPC, ${CAN_MOUNT ? 'a filled-up tmpfs' : 'the blob store on /dev/full'}), then processes it once`, async () => {
  // A fresh data dir for this case: on a small tmpfs when we may mount one.
  const world = getWorld();
  await world.stopDaemon();
  const dataDir = join(dirname(world.config.storage.data_dir), 'data-full');
  world.config.storage.data_dir = dataDir;
  // The old data dir kept the rotated OAuth refresh token; a new one starts from a fresh token.
  securedSigningOf(world.config).refresh_token = world.simulator.issueTokens().refreshToken;
  let full = false;
  let clear: () => void;
  if (CAN_MOUNT) {
    expect(mountTmpfs(dataDir, 16 << 20)).toBe(true);
    mounts.push(dataDir);
    world.startDaemon(storageFaultDaemon);
    const filler = fillUp(dataDir);
    clear = () => removeFiller(filler);
  } else {
    const blobs = new BlobStore(dataDir, {
      openForWrite: (path) => {
        if (full) symlinkSync('/dev/full', path);
        return openSync(path, 'w', 0o600);
      },
    });
    full = true;
    world.startDaemon({ ...storageFaultDaemon, blobs });
    clear = () => { full = false; };
  }
  await waitForIdle(world);

  const since = daemonLog(world).length;
  await deliverRequest('RITM0010006', '<disk-full-1@corp.example>');
  const line = await storageFailure(since);
  await expectHeldBack(line, since, dataDir, /\((ENOSPC: no space left on device, write|SQLITE_FULL: database or disk is full)/);
  expect(world.daemon!.requestWatcher.status().state).not.toBe('stopped');
  // The health views say why nothing is taken (the write-lock check writes nothing: it passes on a full disk).
  const health = () => healthNow(world.daemon!.db, { requests: world.daemon!.requestWatcher, returns: world.daemon!.returnWatcher }, { ...HEALTH_LIMITS, maxPdfBytes: world.config.limits.max_pdf_bytes });
  const fullDisk = (problems: string[]) => problems.filter((p) => p.startsWith(`storage.data_dir ${dataDir} is full`));
  if (CAN_MOUNT) expect({ healthy: health().healthy, fullDisk: fullDisk(health().problems).length }).toEqual({ healthy: false, fullDisk: 1 });

  clear();
  await expectProcessedOnce(world, { record: 'RITM0010006', messageId: '<disk-full-1@corp.example>' });
  expect(linesWithStackTraces(world)).toEqual([]);
  expect(fullDisk(health().problems)).toEqual([]);
  // Room again, but on the 16 MiB tmpfs less than a request of limits.max_pdf_bytes may need: said, not hidden.
  if (CAN_MOUNT) expect(health().problems).toContainEqual(expect.stringMatching(new RegExp(`^storage\\.data_dir ${dataDir} has \\d+\\.\\d MB free, less than a request may need \\(41\\.0 MB: a PDF of limits\\.max_pdf_bytes and its stamped copy\\)`)));
  // Whatever the full disk refused left no truncated or stray file among the PDFs.
  const stored = readdirSync(world.daemon!.blobs.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  expect(stored.length).toBeGreaterThanOrEqual(2);
  for (const file of stored) expect(`${sha256(readFileSync(join(file.parentPath, file.name)))}.pdf`).toBe(file.name);
});
