// A database as the release before this one's newest migration left it: every shipped
// migration but the newest applied — what a newly installed version finds while the old
// daemon still runs on its data dir.
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MIGRATIONS = new URL('../../src/store/migrations/', import.meta.url).pathname;
const SHIPPED = readdirSync(MIGRATIONS).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();

/** The newest schema version this signrelay ships. */
export const NEWEST_SCHEMA = Number(SHIPPED.at(-1)!.slice(0, 4));

/** Writes `file` (signrelay.db) at the schema before NEWEST_SCHEMA. */
export function writeOlderDatabase(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const name of SHIPPED.filter((f) => Number(f.slice(0, 4)) < NEWEST_SCHEMA)) {
    db.exec(readFileSync(join(MIGRATIONS, name), 'utf8'));
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(Number(name.slice(0, 4)), name, '2026-12-01T00:00:00Z');
  }
  db.close();
}

/** The schema version a database file is at. */
export function schemaOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v;
  } finally {
    db.close();
  }
}
