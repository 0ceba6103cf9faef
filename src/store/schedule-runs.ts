// The last run of each scheduled task (migration 0004). One row per task, overwritten by
// each run: the scheduler needs "when did this last start, and did it finish", not a
// history (the log has that). A row still `running` when the daemon starts belongs to a
// process that died mid-run.
import type { Db } from './open-database.ts';

export type RunOutcome = 'running' | 'ok' | 'failed' | 'interrupted';

export interface ScheduleRunRow {
  task: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: RunOutcome;
  error: string | null;
}

/** Errors are kept short: a row is a status line, not a log. */
const MAX_ERROR_CHARS = 2_000;

export function recordRunStart(db: Db, task: string, now: Date): void {
  db.prepare(`INSERT INTO schedule_runs (task, started_at, finished_at, outcome, error) VALUES (?, ?, NULL, 'running', NULL)
    ON CONFLICT(task) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL, outcome = 'running', error = NULL`)
    .run(task, now.toISOString());
}

export function recordRunEnd(db: Db, task: string, outcome: Exclude<RunOutcome, 'running'>, error: string | null, now: Date): void {
  db.prepare('UPDATE schedule_runs SET finished_at = ?, outcome = ?, error = ? WHERE task = ?')
    .run(now.toISOString(), outcome, error === null ? null : error.slice(0, MAX_ERROR_CHARS), task);
}

/** Runs left `running` by a process that is gone become `interrupted`; returns their tasks. */
export function markInterruptedRuns(db: Db, now: Date): string[] {
  const rows = db.prepare("SELECT task FROM schedule_runs WHERE outcome = 'running'").all() as Array<{ task: string }>;
  db.prepare("UPDATE schedule_runs SET outcome = 'interrupted', finished_at = ?, error = 'the daemon stopped during the run' WHERE outcome = 'running'")
    .run(now.toISOString());
  return rows.map((r) => r.task);
}

export function listScheduleRuns(db: Db): ScheduleRunRow[] {
  const rows = db.prepare('SELECT * FROM schedule_runs ORDER BY task').all() as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    task: r.task as string,
    startedAt: r.started_at as string,
    finishedAt: (r.finished_at as string | null) ?? null,
    outcome: r.outcome as RunOutcome,
    error: (r.error as string | null) ?? null,
  }));
}
