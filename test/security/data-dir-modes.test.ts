// The data directory is private to the service user: the directory 0700 and every file in
// it 0600 — the database, SQLite's -wal and -shm files (the WAL holds the OAuth tokens
// until a checkpoint), the pid file and the PDFs and their directories — also when the
// directory was created beforehand with looser modes (test/store checks a fresh
// directory's database and one blob; this checks everything the store writes; the
// secrets test checks the data dir a whole daemon run leaves).
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BlobStore } from '../../src/store/blobs.ts';
import { lockDataDir } from '../../src/store/data-dir-lock.ts';
import { saveToken } from '../../src/store/oauth-tokens.ts';
import { openDatabase } from '../../src/store/open-database.ts';
import { looseModes } from './loose-modes.ts';

it('keeps a data dir created with loose modes private, and everything written into it', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sr-modes-')), 'data');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'signrelay.db'), '');
  chmodSync(join(dir, 'signrelay.db'), 0o644);
  expect(looseModes(dir)).toEqual(['. 755', 'signrelay.db 644']); // the test starts from loose modes

  const db = openDatabase(dir);
  const lock = lockDataDir(dir);
  saveToken(db, 'servicenow', { accessToken: 'access-token-1', refreshToken: 'refresh-token-1', expiresAt: 1 }, new Date());
  new BlobStore(dir).put(Buffer.from('%PDF-1.7 a document'));

  const files = readdirSync(dir, { recursive: true }).map(String).sort();
  expect(files).toEqual(expect.arrayContaining(['signrelay.db', 'signrelay.db-wal', 'signrelay.db-shm', 'signrelay.pid', 'blobs']));
  expect(files.some((f) => f.endsWith('.pdf'))).toBe(true);
  expect(looseModes(dir)).toEqual([]);
  lock.release();
  db.close();
});
