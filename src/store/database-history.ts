// The database's own history (migration 0021): its id and the rows it ever added, which
// only grows — what history-mark.ts marks beside it in the data dir.
import type { History } from './history-mark.ts';
import type { Db } from './open-database.ts';

export function databaseHistory(db: Db): History {
  const row = db.prepare('SELECT database_id, seq FROM history WHERE id = 1').get() as { database_id: string; seq: number };
  return { database: row.database_id, seq: Number(row.seq) };
}
