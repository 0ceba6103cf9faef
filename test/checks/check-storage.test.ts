// The data directory item of `check` before the first start, when the directories above the
// data dir do not exist yet either (`init --name hr` → /var/lib/signrelay/hr): it says the
// daemon makes them, and the daemon makes them as ordinary directories (0755) with only the
// data dir itself 0700 — a 0700 parent kept the service's user out of the StateDirectory=
// systemd makes inside it. And a database locked by another process, or damaged, named as such.
import Database from 'better-sqlite3';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { storageCheckItem } from '../../src/checks/check-storage.ts';
import { ensureDataDir, openDatabase } from '../../src/store/open-database.ts';

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'signrelay-storage-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

it('a data dir whose parents do not exist: ✓, and they are made 0755 around a 0700 data dir', async () => {
  const dataDir = join(root, 'var', 'lib', 'signrelay', 'hr');
  expect(await storageCheckItem(dataDir).run()).toEqual({
    ok: true, detail: `${dataDir} does not exist yet; signrelay creates it (mode 0700) (and the directories above it, mode 0755) at start`,
  });
  ensureDataDir(dataDir);
  expect((await stat(join(root, 'var', 'lib', 'signrelay'))).mode & 0o777).toBe(0o755);
  expect((await stat(join(root, 'var'))).mode & 0o777).toBe(0o755);
  expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
});

it('parents made 0755 whatever the umask (mkdir\'s mode is narrowed by it)', async () => {
  const dataDir = join(root, 'strict', 'lib', 'signrelay', 'hr');
  const umask = process.umask(0o077);
  try {
    ensureDataDir(dataDir);
  } finally {
    process.umask(umask);
  }
  for (const dir of [join(root, 'strict'), join(root, 'strict', 'lib'), join(root, 'strict', 'lib', 'signrelay')]) expect((await stat(dir)).mode & 0o777).toBe(0o755);
  expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
});

it('a data dir whose parent exists: ✓ without the note about parents', async () => {
  const dataDir = join(root, 'plain');
  expect(await storageCheckItem(dataDir).run()).toEqual({ ok: true, detail: `${dataDir} does not exist yet; signrelay creates it (mode 0700) at start` });
});

it('a database another process holds a write lock on: ✗ with that cause, not the disk or the owner', async () => {
  const dataDir = join(root, 'locked');
  openDatabase(dataDir).close();
  const holder = new Database(join(dataDir, 'signrelay.db'));
  holder.exec('BEGIN EXCLUSIVE');
  try {
    expect(await storageCheckItem(dataDir).run()).toEqual({
      ok: false, detail: `the database ${join(dataDir, 'signrelay.db')} cannot be written: database is locked`,
      fix: 'another process holds a write lock on it (a backup, an sqlite3 shell?): let it finish, then check again',
    });
  } finally {
    holder.close();
  }
});

it('a damaged database: ✗ naming it, with the restore as the fix — before a request mail meets it', async () => {
  const dataDir = join(root, 'damaged');
  const db = openDatabase(dataDir);
  for (let n = 0; n < 200; n++) db.prepare("INSERT INTO events (request_id, at, kind, detail) VALUES (NULL, 'now', 'note', ?)").run(JSON.stringify({ n, text: 'x'.repeat(200) }));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").get() as { rootpage: number };
  db.close();
  const file = join(dataDir, 'signrelay.db');
  const handle = await open(file, 'r+');
  await handle.write(Buffer.alloc(pageSize, 0x5a), 0, pageSize, (rootpage - 1) * pageSize);
  await handle.close();
  const result = await storageCheckItem(dataDir).run();
  expect(result).toMatchObject({ ok: false, detail: expect.stringMatching(new RegExp(`^the database ${file} is damaged \\(`)), fix: `stop signrelay and restore ${file} from a backup (docs/operations.md, Backup)` });
});
