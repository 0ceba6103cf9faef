// An operator command run as root on the service's data dir leaves the database files and
// the PDFs it stores to the dir's owner, so the daemon (that user) can still open and add to them.
import { chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { BlobStore } from '../../src/store/blobs.ts';
import { openDatabase } from '../../src/store/open-database.ts';

const NOBODY = 65534;

it('hands signrelay.db and its -wal/-shm to the data dir\'s owner when run as root', () => {
  expect(process.getuid?.()).toBe(0); // the suite runs as root (Dovecot needs it too)
  const dir = mkdtempSync(join(tmpdir(), 'owner-'));
  try {
    chownSync(dir, NOBODY, NOBODY);
    const db = openDatabase(dir);
    db.prepare("INSERT INTO events (request_id, at, kind) VALUES (NULL, 'now', 'note')").run();
    for (const name of ['signrelay.db', 'signrelay.db-wal', 'signrelay.db-shm']) {
      expect(statSync(join(dir, name)).uid, name).toBe(NOBODY);
    }
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('hands the blob store\'s directories and files to the data dir\'s owner when run as root', () => {
  expect(process.getuid?.()).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), 'owner-'));
  try {
    chownSync(dir, NOBODY, NOBODY);
    const blobs = new BlobStore(dir);
    const hash = blobs.put(Buffer.from('%PDF-1.7 stored by root'));
    for (const path of [blobs.dir, dirname(blobs.pathOf(hash)), blobs.pathOf(hash)]) expect(statSync(path).uid, path).toBe(NOBODY);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
