// A backup restored (restore review H2, M2): the documented online backup of signrelay.db
// and blobs/ is taken while a request waits to be sent; the request is sent afterwards;
// then the backup is restored, with the daemon stopped, as operations.md says. The restored
// database still holds the request as stamped, its submit job pending: started on it as if
// nothing happened, the daemon uploaded and sent it again — Ann Lee invited twice, the
// requester acknowledged twice, nobody told. The daemon now finds the database behind the
// history it marked in the data dir, holds the request and alerts; the operator cancels
// what already went out and releases the rest. A stop and start is no restore.
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queueCancel } from '../../src/completion/cancel-request.ts';
import { jobsForRequest } from '../../src/store/jobs.ts';
import { getRequest, listRequests } from '../../src/store/requests.ts';
import { HISTORY_MARK_FILE } from '../../src/store/history-mark.ts';
import { countHeld, isHeld, releaseHolds } from '../../src/store/restore-holds.ts';
import { waitFor } from '../support/wait-for.ts';
import { waitUntil } from '../support/wait-for-event.ts';
import { ALERTS_TO, buildMail, contractPdf, sendRequest, startWorld, type World } from './world.ts';

const dataDirOf = (world: World) => world.config.storage.data_dir;

/** The documented online backup: the database through SQLite's backup, then blobs/ and the fingerprint key. */
async function backup(world: World): Promise<string> {
  const to = mkdtempSync(join(tmpdir(), 'signrelay-backup-'));
  const dir = dataDirOf(world);
  await world.daemon!.db.backup(join(to, 'signrelay.db'));
  cpSync(join(dir, 'blobs'), join(to, 'blobs'), { recursive: true });
  cpSync(join(dir, 'credential-fingerprint.key'), join(to, 'credential-fingerprint.key'));
  return to;
}

/** Restore with the daemon stopped: the three together, as operations.md says. */
function restore(world: World, from: string): void {
  const dir = dataDirOf(world);
  for (const f of ['signrelay.db', 'signrelay.db-wal', 'signrelay.db-shm']) rmSync(join(dir, f), { force: true });
  rmSync(join(dir, 'blobs'), { recursive: true, force: true });
  cpSync(join(from, 'signrelay.db'), join(dir, 'signrelay.db'));
  cpSync(join(from, 'blobs'), join(dir, 'blobs'), { recursive: true });
  cpSync(join(from, 'credential-fingerprint.key'), join(dir, 'credential-fingerprint.key'));
}

/** Secured Signing rotates refresh tokens: after a restore the operator gives a new one (operations.md). */
function newRefreshToken(world: World, base: World['config']): void {
  world.config = { ...base, provider: { ...base.provider, refresh_token: world.simulator.issueTokens().refreshToken } as typeof base.provider };
}

const alerts = (world: World) => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === ALERTS_TO));
const mailsTo = (world: World, address: string) => world.smtp.messages.filter((m) => m.envelope.rcptTo.some((r) => r.address === address));

/** A request held stamped by a refused login when the backup is taken, then sent after a fix and a restart. */
async function sentAfterBackup(world: World, base: World['config'], record: string): Promise<{ id: string; saved: string }> {
  world.config = { ...base, provider: { ...base.provider, api_secret: 'not-the-secret' } as typeof base.provider };
  world.startDaemon();
  await world.dovecot.deliver('sign@corp.example', await buildMail({
    subject: `Contract for ${record}`, text: 'Signer: Ann Lee <ann.lee@example.com>',
    attachments: [{ filename: 'contract.pdf', content: await contractPdf() }],
  }));
  const db = () => world.daemon!.db;
  const request = await waitUntil(world.daemon!.events, () => listRequests(db()).find((r) => r.recordNumber === record
    && jobsForRequest(db(), r.id).some((j) => j.kind === 'submit' && j.lastError !== null)), { what: 'the submit job waiting' });
  const saved = await backup(world);
  await world.stopDaemon();
  world.config = base;
  world.startDaemon();
  await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'sent', { what: 'sent' });
  await world.daemon!.jobs.idle();
  expect(world.signing.counts()).toMatchObject({ uploads: 1, sends: 1 });
  return { id: request.id, saved };
}

describe('a restored backup', () => {
  it('holds the request it would send a second time, alerts, and sends nothing once the operator cancels it and releases', async () => {
    const world = await startWorld();
    try {
      const base = world.config;
      // The provider refuses the login for a while (a secret being rotated): the request waits,
      // stamped, through the nightly backup; then the operator fixes the secret and restarts: sent.
      const { id, saved } = await sentAfterBackup(world, base, 'RITM0010001');
      const db = () => world.daemon!.db;
      const request = getRequest(db(), id)!;
      expect(countHeld(db())).toBe(0); // a stop and a start is no restore
      const acks = () => mailsTo(world, 'helen.officer@corp.example').length;
      await waitUntil(world.daemon!.events, () => acks() === 1, { what: 'the acknowledgement' });
      const alertsBefore = alerts(world).length;

      await world.stopDaemon();
      restore(world, saved);
      newRefreshToken(world, base);
      world.startDaemon();
      // Held at the start, before any job ran; the operators told what to do.
      expect(getRequest(db(), request.id)?.state).toBe('stamped');
      expect(isHeld(db(), request.id)).toBe(true);
      const alert = await waitUntil(world.daemon!.events, () => alerts(world).slice(alertsBefore).find((m) => /behind this data dir/.test(m.parsed?.subject ?? '')),
        { what: 'the restore alert' });
      expect(alert.parsed?.subject).toMatch(/1 request\(s\) held/);
      const text = alert.parsed?.text ?? '';
      expect(text).toContain('older than the one signrelay last ran with in this data dir');
      expect(text).toMatch(new RegExp(`^ +${request.id} +stamped +RITM0010001$`, 'm'));
      expect(text).toContain('signrelay release --all');
      await world.daemon!.jobs.idle();
      expect(world.signing.counts()).toMatchObject({ uploads: 1, sends: 1 });
      expect(acks()).toBe(1);

      // The operator finds the contract already out at the provider: cancels the copy, releases.
      queueCancel(db(), request.id, 'sent before the restore', new Date(), 'secured-signing');
      expect(releaseHolds(db(), undefined, new Date())).toEqual([request.id]);
      world.daemon!.jobs.poke();
      await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'cancelled', { what: 'cancelled' });
      await world.daemon!.jobs.idle();
      expect(world.signing.counts()).toMatchObject({ uploads: 1, sends: 1 });

      // The next start finds the database where the data dir last saw it: nothing is held again.
      await world.stopDaemon();
      world.startDaemon();
      expect(countHeld(db())).toBe(0);
    } finally {
      await world.close();
    }
  }, 180_000);

  it('released without a cancel, the held request goes on: the hold is what kept it back', async () => {
    const world = await startWorld();
    try {
      const base = world.config;
      const { id, saved } = await sentAfterBackup(world, base, 'RITM0010002');
      const db = () => world.daemon!.db;
      const request = getRequest(db(), id)!;
      // Another request afterwards: the database moves on past the backup.
      await sendRequest(world, 'RITM0010003');
      await world.stopDaemon();
      restore(world, saved);
      newRefreshToken(world, base);
      world.startDaemon();
      expect(isHeld(db(), request.id)).toBe(true);
      await world.daemon!.jobs.idle();
      const sendsHeld = world.signing.counts().sends;
      releaseHolds(db(), [request.id], new Date());
      world.daemon!.jobs.poke();
      await waitUntil(world.daemon!.events, () => getRequest(db(), request.id)?.state === 'sent', { what: 'sent once released' });
      expect(world.signing.counts().sends).toBe(sendsHeld + 1);
    } finally {
      await world.close();
    }
  }, 180_000);

  it('restored into a new data dir — the old one lost with its mark — holds as well (diff review 20 M1)', async () => {
    const world = await startWorld();
    try {
      const base = world.config;
      const { id, saved } = await sentAfterBackup(world, base, 'RITM0010004');
      await world.stopDaemon();
      restore(world, saved);
      // The disk died: the data dir the backup is restored into has no history-mark.json.
      rmSync(join(dataDirOf(world), HISTORY_MARK_FILE));
      newRefreshToken(world, base);
      const alertsBefore = alerts(world).length;
      world.startDaemon();
      expect(isHeld(world.daemon!.db, id)).toBe(true);
      const alert = await waitUntil(world.daemon!.events, () => alerts(world).slice(alertsBefore).find((m) => /behind this data dir/.test(m.parsed?.subject ?? '')),
        { what: 'the restore alert' });
      expect(alert.parsed?.text).toContain('but this data dir has no history-mark.json: it was restored from a backup into a new data dir');
      await world.daemon!.jobs.idle();
      expect(world.signing.counts()).toMatchObject({ uploads: 1, sends: 1 });
    } finally {
      await world.close();
    }
  }, 180_000);

  it('restored into the running daemon\'s file (SQLite\'s own restore): no job starts on it, and the next start holds (diff review 20 H1)', async () => {
    const world = await startWorld();
    try {
      const base = world.config;
      const { id, saved } = await sentAfterBackup(world, base, 'RITM0010005');
      const db = world.daemon!.db;
      // `sqlite3 signrelay.db ".restore BACKUP"`: the backup's pages written into the live file, through SQLite's locks.
      const backup = new Database(join(saved, 'signrelay.db'), { readonly: true });
      await backup.backup(join(dataDirOf(world), 'signrelay.db'));
      backup.close();
      expect(getRequest(db, id)?.state).toBe('stamped');
      world.daemon!.jobs.poke();
      await waitFor(() => world.logs.some((l) => l.includes('the database went back while signrelay ran: stopping')), { what: 'the daemon to see it' });
      await world.daemon!.jobs.idle();
      expect(world.signing.counts()).toMatchObject({ uploads: 1, sends: 1 });
      await world.stopDaemon();
      newRefreshToken(world, base);
      world.startDaemon();
      expect(isHeld(world.daemon!.db, id)).toBe(true);
      await world.daemon!.jobs.idle();
      expect(world.signing.counts()).toMatchObject({ uploads: 1, sends: 1 });
    } finally {
      await world.close();
    }
  }, 180_000);
});
