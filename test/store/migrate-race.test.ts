// Two processes opening an older database at once — a daemon's start beside an operator
// command of the new version — both find a migration pending. The one that comes second must
// find it applied under its write lock and go on, not run it again and fail ("index … already
// exists", told as a database that is not signrelay's).
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { migrate } from '../../src/store/open-database.ts';

const MIGRATIONS = new URL('../../src/store/migrations/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'migrate-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = readdirSync(MIGRATIONS).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
const newest = Number(shipped.at(-1)!.slice(0, 4));

/** A database as the release before the newest migration left it. */
function databaseBeforeNewest(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const name of shipped.filter((f) => Number(f.slice(0, 4)) < newest)) {
    db.exec(readFileSync(join(MIGRATIONS, name), 'utf8'));
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(Number(name.slice(0, 4)), name, '2026-12-01T00:00:00Z');
  }
  db.close();
}

it('a migration another process applied between our reading and our transaction is not run again', () => {
  const file = join(dir, 'signrelay.db');
  databaseBeforeNewest(file);
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
  expect(ours.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: newest });
  other.close();
  ours.close();
});
