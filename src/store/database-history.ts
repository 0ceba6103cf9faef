// The database's own history (migration 0021): its id, the rows it ever added, which only
// grows — what history-mark.ts marks beside it in the data dir — and when a daemon first
// marked it.
import type { History } from './history-mark.ts';
import type { Db } from './open-database.ts';

export interface DatabaseHistory extends History {
  /** When a daemon first wrote this database's mark; null for one never marked (made, or upgraded, and not yet run). */
  markedAt: string | null;
}

export function databaseHistory(db: Db): DatabaseHistory {
  const row = db.prepare('SELECT database_id, seq, marked_at FROM history WHERE id = 1').get() as { database_id: string; seq: number; marked_at: string | null };
  return { database: row.database_id, seq: Number(row.seq), markedAt: row.marked_at };
}

/** Records that the database's mark was written (once): from now on a data dir without it is not this database's. */
export function noteMarked(db: Db, now: Date): void {
  db.prepare('UPDATE history SET marked_at = ? WHERE id = 1 AND marked_at IS NULL').run(now.toISOString());
}
