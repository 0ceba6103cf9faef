// A request's events of one kind are found from the request's own events (lifecycle review H1).
// Migration 0018's index on events(kind, at) made SQLite answer "this request's transitions"
// (or notes, or effects) by walking every event of that kind in the table: retention's daily
// run grew with the square of the history — 4,000 requests, 236 s in one block, the daemon
// deaf and its watchdog unfed — and every job's effect lookup with the whole history. Each
// store function that looks up one request's events is run here, the SQL it prepares
// captured, and SQLite's plan for it read: none walks an event kind's whole index.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announcedReferences, countEventsWith, hasEffect, lastEffectAt, lastEffectPhase } from '../../src/store/events.ts';
import { openDatabase, type Db } from '../../src/store/open-database.ts';
import { lastReminderAt, lastReminderState } from '../../src/store/reminder-effects.ts';
import { blobNamedElsewhere, deleteRefusedRequests, listPurgeableRequests } from '../../src/store/retention.ts';
import { listSentRequests } from '../../src/store/sent-requests.ts';

const dir = mkdtempSync(join(tmpdir(), 'signrelay-events-plan-'));
const db = openDatabase(dir);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The SQL `use` prepares on `db`. */
function preparedBy(use: (db: Db) => unknown): string[] {
  const seen: string[] = [];
  const prepare = db.prepare.bind(db);
  const spy = new Proxy(db, { get: (target, key) => (key === 'prepare' ? (sql: string) => (seen.push(sql), prepare(sql)) : Reflect.get(target, key)) });
  use(spy as Db);
  return seen;
}

/** SQLite's plan for `sql`, every parameter NULL. */
function planOf(sql: string): string[] {
  const params = (sql.match(/\?/g) ?? []).map(() => null);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);
}

const now = new Date();
const lookups: Array<[string, (db: Db) => unknown]> = [
  ['retention: the requests to purge', (d) => listPurgeableRequests(d, now)],
  ['retention: whether another request names a blob', (d) => blobNamedElsewhere(d, 'a'.repeat(64), 'r1')],
  ['retention: refused mails\' rows', (d) => deleteRefusedRequests(d, now)],
  ['reconcile: the requests out for signing', (d) => listSentRequests(d)],
  ['an effect recorded', (d) => hasEffect(d, 'r1', 'upload', 'done')],
  ['an effect\'s time', (d) => lastEffectAt(d, 'r1', 'upload', 'intent')],
  ['an effect\'s phase', (d) => lastEffectPhase(d, 'r1', 'send')],
  ['references announced', (d) => announcedReferences(d, 'r1')],
  ['events with a field', (d) => countEventsWith(d, 'r1', 'note', 'alert', 'x')],
  ['a reminder\'s state', (d) => lastReminderState(d, 'r1', 1, '2026-12-24')],
  ['the last reminder', (d) => lastReminderAt(d, 'r1')],
];

describe('one request\'s events', () => {
  it.each(lookups)('%s: found by the request, not by a walk of every event of a kind', (_what, use) => {
    const sql = preparedBy(use).filter((text) => /\bevents\b/.test(text));
    expect(sql.length).toBeGreaterThan(0);
    for (const text of sql) {
      const plan = planOf(text);
      expect(plan.join('\n'), text).not.toMatch(/events_kind_at|SCAN e\b|SCAN events\b/);
    }
  });
});
