// A database made by an earlier release keeps working: migrations it applied are never read
// again, so a later change to the schema is a migration of its own. Here: a database that
// stopped at 0012 (acknowledgements without their reply secret, as 0010 shipped) gets the
// column and its unique index from 0013, and keeps its rows. One a later release migrated
// is refused by an earlier one (a rollback), not used as it is.
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/store/open-database.ts';

const DIR = new URL('../../src/store/migrations/', import.meta.url);

describe('migrations on a database of an earlier release', () => {
  it('adds the acknowledgement reply secret to a database that applied 0010 as shipped', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const file of readdirSync(DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()) {
      if (Number(file.slice(0, 4)) > 12) continue;
      db.exec(readFileSync(new URL(file, DIR), 'utf8'));
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(Number(file.slice(0, 4)), file, '2026-12-01T00:00:00Z');
    }
    const columns = () => (db.prepare('PRAGMA table_info(acknowledgements)').all() as Array<{ name: string }>).map((c) => c.name);
    expect(columns()).not.toContain('reply_secret');
    expect(migrate(db)).toBeGreaterThanOrEqual(1);
    expect(columns()).toContain('reply_secret');
    const unique = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'acknowledgements' AND sql LIKE '%reply_secret%'").get() as { sql: string } | undefined;
    expect(unique?.sql).toMatch(/UNIQUE INDEX/);
  });
});

describe('a database a newer signrelay migrated', () => {
  it('is refused, naming both schemas and what to do, not opened as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'newer-schema-'));
    const db = openDatabase(dir);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'now')").run();
    db.close();
    expect(() => openDatabase(dir)).toThrow(expect.objectContaining({
      code: 'database_newer',
      message: expect.stringMatching(/was migrated by a newer signrelay \(schema 9999; this one knows up to \d+\): run that version again, or restore a backup of the database from before the upgrade$/),
    }));
  });
});

describe('the indexes a request\'s rows are found by', () => {
  it('serve the lookups of a request\'s jobs and mails, not a scan of the table', () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'indexes-')));
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('r_1') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan("SELECT 1 FROM jobs WHERE request_id = ? AND state = 'pending'")).toMatch(/USING (COVERING )?INDEX jobs_request/);
    expect(plan('SELECT 1 FROM messages WHERE request_id = ?')).toMatch(/USING (COVERING )?INDEX messages_request/);
    const known = (db.prepare("EXPLAIN QUERY PLAN SELECT DISTINCT lower(requester) FROM requests WHERE state IN ('sent', 'delivered') AND created_at >= ?").all('2030-01-01') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(known).toMatch(/INDEX requests_state_created \(state=\? AND created_at>\?\)/);
    // A refused mail's reply limits: the day's mail jobs, and alerts raised since a moment.
    const replies = (db.prepare("EXPLAIN QUERY PLAN SELECT created_at FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = 'reply' AND created_at >= ?").all('2030-01-01') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(replies).toMatch(/INDEX jobs_kind_created \(kind=\? AND created_at>\?\)/);
    const alerts = (db.prepare("EXPLAIN QUERY PLAN SELECT 1 FROM events WHERE kind = 'note' AND at >= ? AND json_extract(detail, '$.alert') = 'replies'").all('2030-01-01') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(alerts).toMatch(/INDEX events_kind_at \(kind=\? AND at>\?\)/);
  });
});
