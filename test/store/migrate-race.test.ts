// Two processes opening an older database at once — a daemon's start beside an operator
// command of the new version — both find a migration pending. The one that comes second must
// find it applied under its write lock and go on, not run it again and fail ("index … already
// exists", told as a database that is not signrelay's).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/store/open-database.ts';
import { NEWEST_SCHEMA, schemaOf, writeOlderDatabase } from '../support/older-database.ts';

const dir = mkdtempSync(join(tmpdir(), 'migrate-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a migration another process applied between our reading and our transaction is not run again', () => {
  const file = join(dir, 'signrelay.db');
  writeOlderDatabase(file);
  const other = new Database(file);
  const ours = new Database(file);
  let raced = false;
  // Our connection, with the other process's migration let in just before each of our transactions begins.
  const racing = new Proxy(ours, {
    get(target, prop) {
      if (prop !== 'transaction') {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (fn: () => unknown) => {
        const tx = target.transaction(fn);
        const race = () => {
          if (!raced) migrate(other);
          raced = true;
        };
        return Object.assign(() => (race(), tx()), { immediate: () => (race(), tx.immediate()), deferred: () => (race(), tx.deferred()), exclusive: () => (race(), tx.exclusive()) });
      };
    },
  }) as unknown as Database.Database;
  expect(migrate(racing)).toBe(0);
  expect(raced).toBe(true);
  expect(ours.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: NEWEST_SCHEMA });
  other.close();
  ours.close();
});

it('an older database whose write lock another process holds is a locked data dir (storage_busy, the start waits), not one that is not signrelay\'s', () => {
  const dataDir = join(dir, 'locked');
  writeOlderDatabase(join(dataDir, 'signrelay.db'));
  const other = new Database(join(dataDir, 'signrelay.db'));
  other.exec('BEGIN IMMEDIATE');
  try {
    let thrown: unknown;
    try {
      openDatabase(dataDir, { busyTimeoutMs: 50 }).close();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'storage_busy', message: expect.stringMatching(/^storage\.data_dir .* is locked: another process held a write lock on signrelay\.db .*\(SQLITE_BUSY: database is locked\)$/) });
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  const db = openDatabase(dataDir);
  db.close();
  expect(schemaOf(join(dataDir, 'signrelay.db'))).toBe(NEWEST_SCHEMA);
});
