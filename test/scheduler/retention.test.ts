// Retention on a real data directory: the PDF files of a request finished more than
// retention.days ago are deleted, its row and audit trail stay (plus a `purged` note);
// recent and open requests keep their files, and so does a file another request shares.
// A provider's certificate kept beside a signed copy is one of the request's files. Temp
// files of writes a crash cut short go once a day old.
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contractPdf } from '../integration/world.ts';
import { runShowCommand } from '../../src/commands/show.ts';
import { minimalConfigYaml, runOperator } from '../cli/helpers.ts';
import type { BlobStore } from '../../src/store/blobs.ts';
import { addEvent, listEvents } from '../../src/store/events.ts';
import { countAttempt } from '../../src/store/message-attempts.ts';
import { enqueueJob } from '../../src/store/jobs.ts';
import { recordMessage } from '../../src/store/messages.ts';
import { listScheduleRuns } from '../../src/store/schedule-runs.ts';
import type { Db } from '../../src/store/open-database.ts';
import { getRequest, insertRequest, setDocumentCertificate, setDocumentSigned, setDocumentStamped, transition } from '../../src/store/requests.ts';
import type { RequestState } from '../../src/store/request-states.ts';
import { DAY_MS, later, startSchedulerWorld, type SchedulerWorld } from './scheduler-world.ts';

const T0 = new Date('2030-01-01T12:00:00Z');
let world: SchedulerWorld;

beforeEach(async () => {
  world = await startSchedulerWorld({ retention: { days: 90 } });
});
afterEach(async () => {
  await world.close();
});

const PATHS: Record<'delivered' | 'declined' | 'sent', RequestState[]> = {
  delivered: ['stamped', 'uploaded', 'sent', 'completed', 'delivered'],
  declined: ['stamped', 'uploaded', 'sent', 'declined'],
  sent: ['stamped', 'uploaded', 'sent'],
};

/** A request walked through the state machine to `to` at `at`, with its files in the blob store. */
function requestIn(db: Db, blobs: BlobStore, to: keyof typeof PATHS, at: Date, files: { original: Uint8Array; stamped: Uint8Array; signed?: Uint8Array; certificate?: Uint8Array }): { id: string; hashes: string[] } {
  const id = insertRequest(db, {
    token: `tok${Math.random().toString(36).slice(2, 12)}`, state: 'received', route: 'default', provider: 'secured-signing',
    requester: 'helen@corp.example', subject: 'RITM0010001', messageId: null, record: { number: 'RITM0010001' },
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' }], dueDate: '2030-02-01',
    documents: [{ fileName: 'contract.pdf', originalSha256: blobs.put(files.original) }],
  }, at);
  const hashes = [blobs.put(files.original), blobs.put(files.stamped)];
  setDocumentStamped(db, id, 1, hashes[1]!, 'contract--signrelay-x.pdf');
  for (const state of PATHS[to]) {
    if (state === 'completed' && files.signed) {
      hashes.push(blobs.put(files.signed));
      setDocumentSigned(db, id, 1, hashes[2]!);
    }
    if (state === 'completed' && files.certificate) {
      const sha256 = blobs.put(files.certificate);
      hashes.push(sha256);
      setDocumentCertificate(db, id, 1, { sha256, contentType: 'application/pdf', fileSuffix: '-certificate.pdf' });
    }
    transition(db, id, state, at);
  }
  return { id, hashes };
}

const pdf = (title: string) => contractPdf(title).then((b) => Buffer.from(b));

describe('the retention task', () => {
  it('deletes the files of old finished requests and keeps the request, its trail and shared files', async () => {
    const { db, blobs } = world;
    const shared = await pdf('Shared original');
    const old = requestIn(db, blobs, 'delivered', T0, { original: shared, stamped: await pdf('old stamped'), signed: await pdf('old signed'), certificate: await pdf('old certificate') });
    // The trust_attachment copy of the completion mail is the old request's too.
    const mailCopy = blobs.put(await pdf('mail attachment'));
    enqueueJob(db, { kind: 'complete', requestId: old.id, payload: { attachments: [{ fileName: 'signed.pdf', sha256: mailCopy }] } }, T0);
    db.prepare("UPDATE jobs SET state = 'done'").run();
    const declined = requestIn(db, blobs, 'declined', T0, { original: await pdf('declined'), stamped: await pdf('declined stamped') });
    const recent = requestIn(db, blobs, 'delivered', later(T0, 60 * DAY_MS), { original: await pdf('recent'), stamped: await pdf('recent stamped'), signed: await pdf('recent signed'), certificate: await pdf('recent certificate') });
    const open = requestIn(db, blobs, 'sent', T0, { original: shared, stamped: await pdf('open stamped') });
    const trailBefore = listEvents(db, old.id);

    world.clock.now = later(T0, 91 * DAY_MS);
    await world.startScheduler().idle();

    const [sharedHash, ...ownHashes] = old.hashes;
    for (const hash of [...ownHashes, mailCopy, ...declined.hashes]) expect(existsSync(blobs.pathOf(hash)), hash).toBe(false);
    for (const hash of [sharedHash!, ...recent.hashes, ...open.hashes]) expect(existsSync(blobs.pathOf(hash)), hash).toBe(true);

    expect(getRequest(db, old.id)).toMatchObject({ state: 'delivered' });
    const trail = listEvents(db, old.id);
    expect(trail.slice(0, trailBefore.length)).toEqual(trailBefore);
    expect(trail.slice(trailBefore.length)).toMatchObject([{
      kind: 'note', at: world.clock.now.toISOString(),
      detail: { purged: true, retentionDays: 90, kept: [sharedHash], deleted: expect.arrayContaining([...ownHashes, mailCopy]) },
    }]);
    expect(listEvents(db, recent.id).some((e) => e.detail?.purged)).toBe(false);
    expect(listEvents(db, open.id).some((e) => e.detail?.purged)).toBe(false);

    // The next day's run purges nothing twice; once the open request is finished and old, the shared file goes too.
    transition(db, open.id, 'declined', later(T0, DAY_MS));
    world.clock.now = later(T0, 92 * DAY_MS);
    await world.restart();
    await world.startScheduler().idle();
    expect(listEvents(world.db, old.id).filter((e) => e.detail?.purged)).toHaveLength(1);
    expect(existsSync(blobs.pathOf(sharedHash!))).toBe(false);
    expect(existsSync(blobs.pathOf(recent.hashes[0]!))).toBe(true);
  });

  it('`show` says a purged request\'s files are gone, in words (lifecycle review L4: SIGNED "yes" and a list of hashes)', async () => {
    const { db, blobs } = world;
    const old = requestIn(db, blobs, 'delivered', T0, { original: await pdf('shown'), stamped: await pdf('shown stamped'), signed: await pdf('shown signed') });
    world.clock.now = later(T0, 91 * DAY_MS);
    await world.startScheduler().idle();
    const config = join(world.dataDir, 'show.yaml');
    writeFileSync(config, minimalConfigYaml('routes: {default: {}}', world.dataDir));
    const shown = await runOperator(runShowCommand, [old.id], config);
    expect(shown.stdout).toMatch(/^1 +contract\.pdf +- +yes \(file deleted 2030-04-02\)/m);
    expect(shown.stdout).toMatch(/files deleted by retention after 90 days \(3\) +the PDFs can no longer be sent or delivered/);
    expect(shown.stdout).not.toMatch(/purged=true|deleted=\[/);
  });

  it('deletes the rows of mails refused at intake once old — not their message rows — and adds nothing for them', async () => {
    const { db, blobs } = world;
    const refused = (at: Date, n: number) => {
      const id = insertRequest(db, {
        token: `refused${n}`, state: 'rejected', route: '', provider: 'secured-signing', requester: `stranger${n}@evil.example`,
        subject: 'x'.repeat(8_000), messageId: `<junk${n}@evil.example>`, record: null, signers: [], dueDate: '', reason: 'may not send requests', documents: [],
      }, at);
      recordMessage(db, { mailbox: 'requests', place: '1', uid: n, messageId: `<junk${n}@evil.example>`, outcome: 'rejected', reason: 'may not send requests', folder: 'Rejected', requestId: id }, at);
      enqueueJob(db, { kind: 'mail', requestId: id, payload: { purpose: 'reply' } }, at);
      return id;
    };
    const old = Array.from({ length: 3 }, (_, n) => refused(T0, n + 1));
    const recent = refused(later(T0, 60 * DAY_MS), 9);
    db.prepare("UPDATE jobs SET state = 'done'").run();
    const delivered = requestIn(db, blobs, 'delivered', T0, { original: await pdf('kept row'), stamped: await pdf('kept row stamped') });

    world.clock.now = later(T0, 91 * DAY_MS);
    await world.startScheduler().idle();

    for (const id of old) {
      expect(getRequest(db, id)).toBeUndefined();
      expect(listEvents(db, id)).toEqual([]);
    }
    expect(db.prepare("SELECT count(*) AS n FROM jobs WHERE request_id IS NOT NULL AND request_id != ?").get(recent)).toEqual({ n: 0 });
    expect(db.prepare('SELECT message_id, request_id FROM messages ORDER BY uid').all()).toEqual([
      { message_id: '<junk1@evil.example>', request_id: null }, { message_id: '<junk2@evil.example>', request_id: null },
      { message_id: '<junk3@evil.example>', request_id: null }, { message_id: '<junk9@evil.example>', request_id: recent },
    ]);
    expect(getRequest(db, recent)).toMatchObject({ state: 'rejected' });
    expect(listEvents(db, recent).some((e) => e.detail?.purged)).toBe(false);
    expect(getRequest(db, delivered.id)).toMatchObject({ state: 'delivered' }); // a request's row stays
    expect(listScheduleRuns(db).find((r) => r.task === 'retention')).toMatchObject({ outcome: 'ok' });
  });

  // lifecycle review L2: every junk mail left its attempt count, and every completion mail
  // matching no request its alert note and alert mail job, for ever.
  it('deletes, once old, rows no request keeps: mail attempt counts, alert notes and alert mails of no request', async () => {
    const { db } = world;
    const junk = (at: Date, uid: number) => {
      countAttempt(db, { mailbox: 'returns', place: '1', uid }, at);
      addEvent(db, { requestId: null, kind: 'note', detail: { alert: 'unmatched', subject: `a completion mail matched no open request (${uid})` } }, at);
      enqueueJob(db, { kind: 'mail', requestId: null, payload: { purpose: 'alert' } }, at);
    };
    junk(T0, 1);
    junk(T0, 2);
    junk(later(T0, 60 * DAY_MS), 3);
    db.prepare("UPDATE jobs SET state = 'done', updated_at = created_at").run();
    enqueueJob(db, { kind: 'mail', requestId: null, payload: { purpose: 'alert' } }, T0); // still pending: kept

    world.clock.now = later(T0, 91 * DAY_MS);
    await world.startScheduler().idle();

    expect(db.prepare('SELECT uid FROM message_attempts').pluck().all()).toEqual([3]);
    expect(db.prepare("SELECT json_extract(detail, '$.subject') FROM events WHERE request_id IS NULL").pluck().all()).toEqual(['a completion mail matched no open request (3)']);
    expect(db.prepare('SELECT state FROM jobs WHERE request_id IS NULL ORDER BY id').pluck().all()).toEqual(['done', 'pending']);
  });

  it('leaves a finished request alone while a job of it is still pending', async () => {
    const { db, blobs } = world;
    const old = requestIn(db, blobs, 'delivered', T0, { original: await pdf('pending'), stamped: await pdf('pending stamped'), signed: await pdf('pending signed') });
    enqueueJob(db, { kind: 'mail', requestId: old.id, payload: { purpose: 'notice' } }, T0);
    world.clock.now = later(T0, 100 * DAY_MS);
    await world.startScheduler().idle();
    for (const hash of old.hashes) expect(existsSync(blobs.pathOf(hash))).toBe(true);
    expect(listEvents(db, old.id).some((e) => e.detail?.purged)).toBe(false);
  });
});

describe('the retention task and the temp files a crash left', () => {
  it('removes those untouched for a day, and leaves a write that may still be going on', async () => {
    const { blobs } = world;
    world.clock.now = later(T0, DAY_MS);
    const temp = (name: string, age: number) => {
      const path = join(blobs.dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, 'part of a download');
      const at = later(world.clock.now, -age);
      utimesSync(path, at, at);
      return path;
    };
    const abandoned = [temp('.incoming.0a1b2c3d.tmp', DAY_MS + 60_000), temp(`ab/.${'ab'.repeat(32)}.01234567.tmp`, 3 * DAY_MS)];
    const current = temp('.incoming.89abcdef.tmp', 60 * 60_000);
    const kept = requestIn(world.db, blobs, 'sent', T0, { original: await pdf('kept'), stamped: await pdf('kept stamped') });
    for (const hash of kept.hashes) utimesSync(blobs.pathOf(hash), T0, T0);

    await world.startScheduler().idle();
    for (const path of abandoned) expect(existsSync(path), path).toBe(false);
    expect(existsSync(current)).toBe(true);
    for (const hash of kept.hashes) expect(existsSync(blobs.pathOf(hash))).toBe(true);
  });
});

// lifecycle review L1: a file stored before a commit that never came (a crash in between, a
// commit that failed) or kept by a database restored from an older backup stayed for ever.
describe('the retention task and files no request names', () => {
  const aged = (blobs: BlobStore, hash: string, at: Date) => utimesSync(blobs.pathOf(hash), at, at);
  // Files are written at the machine's time: the clock is set to it, the old ones dated back
  // past retention.days (90 here), as long as a request's own files are kept.
  const longAgo = () => later(new Date(), -91 * DAY_MS);
  /** The database made `days` ago: files older than it are not its to judge. */
  const databaseMade = (db: Db, days: number) => db.prepare('UPDATE schema_migrations SET applied_at = ?').run(later(new Date(), -days * DAY_MS).toISOString());

  it('removes those not written for retention.days, and keeps every file a request or a job still names', async () => {
    const { db, blobs } = world;
    world.clock.now = new Date();
    databaseMade(db, 100);
    const orphans = [blobs.put(await pdf('crash before commit')), blobs.put(await pdf('restored older database'))];
    const fresh = blobs.put(await pdf('commit on its way'));
    // restore review M1: a database restored from last week's backup names none of the week's
    // requests; their PDFs are the evidence of what went out, kept as long as a request's are.
    const sinceBackup = blobs.put(await pdf('sent after the backup'));
    aged(blobs, sinceBackup, later(new Date(), -10 * DAY_MS));
    const open = requestIn(db, blobs, 'sent', T0, { original: await pdf('open'), stamped: await pdf('open stamped') });
    const recent = requestIn(db, blobs, 'delivered', T0, { original: await pdf('recent'), stamped: await pdf('recent stamped'), signed: await pdf('recent signed'), certificate: await pdf('recent certificate') });
    const attachment = blobs.put(await pdf('trusted attachment'));
    enqueueJob(db, { kind: 'complete', requestId: null, payload: { attachments: [{ fileName: 'signed.pdf', sha256: attachment }] } }, T0);
    for (const hash of [...orphans, ...open.hashes, ...recent.hashes, attachment]) aged(blobs, hash, longAgo());

    await world.startScheduler().idle();
    for (const hash of orphans) expect(existsSync(blobs.pathOf(hash)), hash).toBe(false);
    for (const hash of [fresh, sinceBackup, ...open.hashes, ...recent.hashes, attachment]) expect(existsSync(blobs.pathOf(hash)), hash).toBe(true);
    expect(listScheduleRuns(db).find((r) => r.task === 'retention')).toMatchObject({ outcome: 'ok' });
  });

  it('counts a file stored again as just written: the same bytes of an old orphan, mailed again, survive until committed', async () => {
    const { blobs } = world;
    world.clock.now = new Date();
    databaseMade(world.db, 100);
    const bytes = await pdf('mailed again');
    const hash = blobs.put(bytes);
    aged(blobs, hash, longAgo());
    expect(blobs.put(bytes)).toBe(hash);
    await world.startScheduler().idle();
    expect(existsSync(blobs.pathOf(hash))).toBe(true);
  });

  it('keeps the files older than the database: a database made afresh beside an older blobs/ judges none of them', async () => {
    const { blobs } = world;
    world.clock.now = new Date();
    const older = blobs.put(await pdf('before this database'));
    aged(blobs, older, longAgo());
    await world.startScheduler().idle();
    expect(existsSync(blobs.pathOf(older))).toBe(true);
  });

  it('keeps the files of a purged request a newer request names again', async () => {
    const { db, blobs } = world;
    const shared = await pdf('sent twice');
    const old = requestIn(db, blobs, 'delivered', T0, { original: shared, stamped: await pdf('first stamped') });
    world.clock.now = later(T0, 91 * DAY_MS);
    await world.startScheduler().idle();
    expect(existsSync(blobs.pathOf(old.hashes[0]!))).toBe(false);
    const again = requestIn(db, blobs, 'sent', later(T0, 91 * DAY_MS), { original: shared, stamped: await pdf('second stamped') });
    for (const hash of again.hashes) aged(blobs, hash, T0);
    world.clock.now = later(T0, 93 * DAY_MS);
    await world.restart();
    await world.startScheduler().idle();
    for (const hash of again.hashes) expect(existsSync(world.blobs.pathOf(hash)), hash).toBe(true);
  });
});
