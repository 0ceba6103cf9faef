-- The scheduler's memory: one row per periodic task (reconcile, reminders, retention) with
-- its last run. node-cron only says "a minute has passed"; whether a task is due — and
-- whether runs were missed while the daemon was down — is decided from this table, so it
-- survives restarts. A row left `running` by a dead process is an interrupted run.

CREATE TABLE schedule_runs (
  task            TEXT PRIMARY KEY,           -- 'reconcile' | 'reminders' | 'retention'
  started_at      TEXT NOT NULL,
  finished_at     TEXT,                       -- NULL while running (or when the process died)
  outcome         TEXT NOT NULL,              -- 'running' | 'ok' | 'failed' | 'interrupted'
  error           TEXT                        -- why it failed; never secrets
);
