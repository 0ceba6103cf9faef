// The daemon's self-report in SQLite (migration 0006), read by `signrelay status`, which
// runs in another process. Written on a timer and on watcher state changes.
import type { Db } from './open-database.ts';

export interface ServiceStatusRow {
  component: string;
  state: string;
  detail: Record<string, unknown>;
  updatedAt: string;
}

export function writeServiceStatus(db: Db, component: string, state: string, detail: Record<string, unknown>, now: Date): void {
  db.prepare(`INSERT INTO service_status (component, state, detail, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (component) DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at`)
    .run(component, state, JSON.stringify(detail), now.toISOString());
}

export function readServiceStatus(db: Db): ServiceStatusRow[] {
  const rows = db.prepare('SELECT * FROM service_status ORDER BY component').all() as Array<Record<string, string>>;
  return rows.map((r) => ({ component: r.component!, state: r.state!, detail: JSON.parse(r.detail!) as Record<string, unknown>, updatedAt: r.updated_at! }));
}
