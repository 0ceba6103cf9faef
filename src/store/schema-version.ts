// The database schema this signrelay ships: its numbered migrations (src/store/migrations/).
// Read without SQLite, so `--version` can say which schema a build carries — every build is
// 0.1.0 by its package, and a rollback or an upgrade is told apart by its schema.
import { readdirSync } from 'node:fs';

export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** The migration files, in order. */
export function shippedMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
}

/** The newest schema version this signrelay knows. */
export function shippedSchema(): number {
  return Math.max(0, ...shippedMigrations().map((f) => Number(f.slice(0, 4))));
}

/** The version a build says it is: the package's, and the schema it migrates the database to. */
export function buildVersion(packageVersion: string): string {
  return `${packageVersion} (database schema ${shippedSchema()})`;
}
