// Durable jobs: every external side effect (provider upload/send, delivery, any mail) is a row
// here before it is attempted. A job is retried with backoff until it succeeds, fails
// permanently, or runs out of attempts; a restart simply picks up the due rows.
import { mailboxKey } from '../ascii-address.ts';
import type { Db } from './open-database.ts';

/** `record`: a note and/or the status field on the request's ServiceNow record (completion/update-record.ts). */
/** `command`: a requester's reply command that asks the provider (conversation/carry-out-command.ts). */
/** `withdraw`: the documents still out of a request one refusal or expiry ended (completion/withdraw-after-refusal.ts). */
export type JobKind = 'submit' | 'complete' | 'mail' | 'cancel' | 'withdraw' | 'record' | 'command';
export type JobState = 'pending' | 'done' | 'failed';

export interface JobRow {
  id: number;
  kind: JobKind;
  requestId: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  runAt: string;
  lastError: string | null;
  createdAt: string;
  /** Runs begun since its last outcome was recorded: each one the process stopped under. */
  interrupted: number;
  /** What it waits for, when its last attempt made it wait without counting (JobWait). */
  waitingFor: JobWait | null;
}

export function enqueueJob(db: Db, job: { kind: JobKind; requestId?: string | null; payload?: Record<string, unknown>; runAt?: Date }, now: Date): number {
  const at = now.toISOString();
  const result = db.prepare('INSERT INTO jobs (kind, request_id, payload, run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(job.kind, job.requestId ?? null, JSON.stringify(job.payload ?? {}), (job.runAt ?? now).toISOString(), at, at);
  return Number(result.lastInsertRowid);
}

/**
 * A job of a request held after a restore (restore-holds.ts) is not run until the operator
 * releases it — but an operator alert about the request is mailed: the operators checking
 * held requests need it (diff review 20 L1).
 */
export const NOT_HELD = `(NOT EXISTS (SELECT 1 FROM restore_holds h WHERE h.request_id = jobs.request_id)
  OR (jobs.kind = 'mail' AND json_extract(jobs.payload, '$.purpose') = 'alert'))`;

export function dueJobs(db: Db, now: Date, limit = 20): JobRow[] {
  const rows = db.prepare(`SELECT * FROM jobs WHERE state = 'pending' AND run_at <= ? AND ${NOT_HELD} ORDER BY run_at, id LIMIT ?`)
    .all(now.toISOString(), limit) as Array<Record<string, unknown>>;
  return rows.map(toJobRow);
}

/**
 * Pending jobs scheduled at a moment the clock has not reached again — the wall clock was
 * stepped back since (an NTP step) — keep the delay they were given, counted from now: a
 * retry set a second ahead would otherwise wait as long again as the step. How many.
 */
export function rescheduleAfterClockStepBack(db: Db, now: Date): number {
  const at = now.toISOString();
  const rows = db.prepare("SELECT id, run_at, updated_at FROM jobs WHERE state = 'pending' AND updated_at > ?")
    .all(at) as Array<{ id: number; run_at: string; updated_at: string }>;
  const update = db.prepare('UPDATE jobs SET run_at = ?, updated_at = ? WHERE id = ?');
  for (const row of rows) {
    const delayMs = Math.max(0, Date.parse(row.run_at) - Date.parse(row.updated_at));
    update.run(new Date(now.getTime() + delayMs).toISOString(), at, row.id);
  }
  return rows.length;
}

/** When the next pending job is due, to sleep until then. */
export function nextJobTime(db: Db): Date | undefined {
  const row = db.prepare(`SELECT min(run_at) AS at FROM jobs WHERE state = 'pending' AND ${NOT_HELD}`).get() as { at: string | null };
  return row.at ? new Date(row.at) : undefined;
}

/** A run of the job begins: counted as interrupted until its outcome is recorded. */
export function startJobRun(db: Db, id: number, now: Date): void {
  db.prepare('UPDATE jobs SET interrupted = interrupted + 1, updated_at = ? WHERE id = ?').run(now.toISOString(), id);
}

export function finishJob(db: Db, id: number, now: Date): void {
  db.prepare("UPDATE jobs SET state = 'done', attempts = attempts + 1, interrupted = 0, last_error = NULL, waiting_for = NULL, updated_at = ? WHERE id = ?").run(now.toISOString(), id);
}

export function retryJob(db: Db, id: number, error: string, runAt: Date, now: Date): void {
  db.prepare('UPDATE jobs SET attempts = attempts + 1, interrupted = 0, last_error = ?, waiting_for = NULL, run_at = ?, updated_at = ? WHERE id = ?')
    .run(error, runAt.toISOString(), now.toISOString(), id);
}

/** What a waiting job waits for (job-failure-policy.ts). */
export type JobWait = 'operator' | 'infrastructure' | 'scheduled';

/** Like retryJob, but the attempt is not counted: the job waits for a fix outside it. */
export function waitJob(db: Db, id: number, error: string, runAt: Date, now: Date, waitingFor: JobWait): void {
  db.prepare('UPDATE jobs SET interrupted = 0, last_error = ?, waiting_for = ?, run_at = ?, updated_at = ? WHERE id = ?')
    .run(error, waitingFor, runAt.toISOString(), now.toISOString(), id);
}

/**
 * At a start or reload — how an operator says "fixed" — makes due now the pending jobs that
 * wait for our own infrastructure, and of those that wait for an operator's fix the oldest of
 * each kind: one try per kind, not one per job (a wrong password tried by every waiting job at
 * once can lock the account at the service). When that try succeeds the rest of its kind
 * follow (releaseOperatorWaits). A scheduled wait keeps its time. Returns the kinds of the jobs made due.
 */
export function releaseJobsWaitingForFix(db: Db, now: Date): JobKind[] {
  const at = now.toISOString();
  const rows = db.prepare(`UPDATE jobs SET run_at = ?, updated_at = ? WHERE state = 'pending' AND run_at > ? AND (waiting_for = 'infrastructure'
      OR id IN (SELECT min(id) FROM jobs WHERE state = 'pending' AND waiting_for = 'operator' AND ${NOT_HELD} GROUP BY kind)) RETURNING kind`).all(at, at, at) as Array<{ kind: JobKind }>;
  return rows.map((r) => r.kind);
}

/**
 * A job of `kind` that waited for an operator's fix succeeded: the others of its kind waiting
 * for it are due now, wait for nobody any more, and no longer carry the refusal the fix
 * answered — the health views would otherwise count them as waiting for a fix that works, or
 * quote that refusal as the queue's latest error while the backlog runs.
 */
export function releaseOperatorWaits(db: Db, kind: JobKind, now: Date): number {
  const at = now.toISOString();
  return db.prepare("UPDATE jobs SET run_at = min(run_at, ?), waiting_for = NULL, last_error = NULL, updated_at = ? WHERE state = 'pending' AND kind = ? AND waiting_for = 'operator'")
    .run(at, at, kind).changes;
}

/**
 * Makes the request's pending jobs of these kinds that wait for what just came (a lost send's
 * notice: a scheduled wait) due now. A job backing off from a refusal (a 503, a 429 with its
 * Retry-After) keeps its time: the notice says nothing about when the service may be asked again.
 */
export function releaseWaitingJobs(db: Db, requestId: string, kinds: JobKind[], now: Date): number {
  const at = now.toISOString();
  return db.prepare(`UPDATE jobs SET run_at = ?, updated_at = ? WHERE request_id = ? AND kind IN (${kinds.map(() => '?').join(', ')})
      AND state = 'pending' AND waiting_for = 'scheduled' AND run_at > ?`).run(at, at, requestId, ...kinds, at).changes;
}

export function failJob(db: Db, id: number, error: string, now: Date): void {
  db.prepare("UPDATE jobs SET state = 'failed', attempts = attempts + 1, interrupted = 0, last_error = ?, waiting_for = NULL, updated_at = ? WHERE id = ?")
    .run(error, now.toISOString(), id);
}

export function countJobs(db: Db): Record<JobState, number> {
  const rows = db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as Array<{ state: JobState; n: number }>;
  const counts: Record<JobState, number> = { pending: 0, done: 0, failed: 0 };
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

/** Whether a job of this kind waits to run for the request (a `cancel` the operator queued). */
export function hasPendingJob(db: Db, requestId: string, kind: JobKind): boolean {
  return db.prepare("SELECT 1 FROM jobs WHERE request_id = ? AND kind = ? AND state = 'pending' LIMIT 1").get(requestId, kind) !== undefined;
}

export function jobsForRequest(db: Db, requestId: string): JobRow[] {
  return (db.prepare('SELECT * FROM jobs WHERE request_id = ? ORDER BY id').all(requestId) as Array<Record<string, unknown>>).map(toJobRow);
}

function toJobRow(r: Record<string, unknown>): JobRow {
  return {
    id: r.id as number,
    kind: r.kind as JobKind,
    requestId: (r.request_id as string | null) ?? null,
    payload: JSON.parse(r.payload as string) as Record<string, unknown>,
    state: r.state as JobState,
    attempts: r.attempts as number,
    runAt: r.run_at as string,
    lastError: (r.last_error as string | null) ?? null,
    createdAt: r.created_at as string,
    interrupted: (r.interrupted as number | undefined) ?? 0,
    waitingFor: (r.waiting_for as JobWait | null | undefined) ?? null,
  };
}

/** Automatic mails of one purpose (rejection replies by default) queued since `since`, to anyone. */
export function countReplies(db: Db, since: Date, purpose: 'reply' | 'acknowledgement' | 'answer' = 'reply'): number {
  return (db.prepare(`SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND json_extract(payload, '$.purpose') = ? AND created_at >= ?`)
    .get(purpose, since.toISOString()) as { n: number }).n;
}

/**
 * Automatic mails of one purpose (rejection replies by default; acknowledgements; answers to
 * reply commands) queued to this address's mailbox since `since`: the limit on replies to one
 * mailbox. Its subaddresses count as the mailbox (`victim+1@`, `victim+2@` … are all
 * `victim@`): each had a budget of its own, and fifty forged requests reached one inbox.
 */
export function countRepliesTo(db: Db, address: string, since: Date, purpose: 'reply' | 'acknowledgement' | 'answer' = 'reply'): number {
  return repliesTo(db, address, since, purpose).length;
}

/** When each of those mails was queued (ISO times): for limits over two windows, read once. */
export function repliesTo(db: Db, address: string, since: Date, purpose: 'reply' | 'acknowledgement' | 'answer' = 'reply'): string[] {
  const rows = db.prepare(`SELECT json_extract(payload, '$.message.to') AS recipient, created_at FROM jobs WHERE kind = 'mail'
    AND json_extract(payload, '$.purpose') = ? AND created_at >= ?`).all(purpose, since.toISOString()) as Array<{ recipient: unknown; created_at: string }>;
  const mailbox = mailboxKey(address);
  return rows.filter((row) => typeof row.recipient === 'string' && mailboxKey(row.recipient) === mailbox).map((row) => row.created_at);
}

