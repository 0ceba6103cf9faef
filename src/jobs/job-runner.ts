// Runs the durable jobs of the `jobs` table: picks due rows, calls the handler for their
// kind, and records the result. Transient failures are retried with backoff, credential
// failures slowly (an operator is fixing them); permanent and input failures, and running
// out of attempts, fail the job and tell the handler's `onGiveUp` so the request becomes
// `failed` — visible and retryable, never lost.
import { describeError, isSignrelayError, SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/open-database.ts';
import { dueJobs, failJob, finishJob, nextJobTime, retryJob, type JobKind, type JobRow } from '../store/jobs.ts';
import { JOB_MAX_ATTEMPTS, retryDelayMs } from './retry-delay.ts';

export interface JobHandler {
  run(job: JobRow): Promise<void>;
  /** Called once when the job is given up; records the failure on the request. */
  onGiveUp?(job: JobRow, reason: string): void;
}

export interface JobRunnerOptions {
  db: Db;
  /** A job whose kind has no handler fails (a wiring bug, visible in the job table). */
  handlers: Partial<Record<JobKind, JobHandler>>;
  logger: Logger;
  now?: () => Date;
  maxAttempts?: number;
  /** Longest sleep between looks at the table (a safety net behind `poke`). */
  idleCheckMs?: number;
  retryBaseMs?: number;
  /** Shortest wait after a credentials failure (default 5 minutes). */
  authRetryMs?: number;
  /** Told the outcome of every attempt (metrics); `code` is the error's, when it failed. */
  onAttempt?: (kind: JobKind, outcome: 'done' | 'retry' | 'failed', code?: string) => void;
}

export const AUTH_RETRY_MS = 5 * 60_000;
const FAILED_PASS_PAUSE_MS = 5_000;

export interface JobRunner {
  /** Something was enqueued: look now. */
  poke(): void;
  /** Finish the job in hand, then stop. */
  stop(): Promise<void>;
  /** Resolves when no job is due now (for tests and `demo`). */
  idle(): Promise<void>;
}

export function startJobRunner(options: JobRunnerOptions): JobRunner {
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? JOB_MAX_ATTEMPTS;
  const idleCheckMs = options.idleCheckMs ?? 30_000;
  const authRetryMs = options.authRetryMs ?? AUTH_RETRY_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let idleWaiters: Array<() => void> = [];

  const schedule = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    const next = nextJobTime(options.db);
    const wait = next ? Math.max(0, Math.min(idleCheckMs, next.getTime() - now().getTime())) : idleCheckMs;
    timer = setTimeout(poke, wait);
    if (!next || next.getTime() > now().getTime()) {
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((w) => w());
    }
  };

  const runOne = async (job: JobRow): Promise<void> => {
    const handler = options.handlers[job.kind] ?? {
      run: () => Promise.reject(new SignrelayError('permanent', 'no_job_handler', `no handler for jobs of kind ${job.kind}`)),
    };
    const log = options.logger.child({ job: job.kind, jobId: job.id, requestId: job.requestId ?? undefined });
    try {
      await handler.run(job);
      finishJob(options.db, job.id, now());
      log.info('job done', { attempt: job.attempts + 1 });
      options.onAttempt?.(job.kind, 'done');
    } catch (err) {
      const message = describeError(err);
      const kind = isSignrelayError(err) ? err.kind : 'transient';
      const attempt = job.attempts + 1;
      const code = isSignrelayError(err) ? err.code : 'unexpected';
      // Credentials an operator must fix are retried slowly and without limit: the work
      // waits for the fix instead of failing every request that happens to be queued.
      if (kind === 'auth' || (kind === 'transient' && attempt < maxAttempts)) {
        const retryAfterSeconds = isSignrelayError(err) ? err.retryAfterSeconds : undefined;
        const delay = Math.max(retryDelayMs(attempt, { retryAfterSeconds, baseMs: options.retryBaseMs }), kind === 'auth' ? authRetryMs : 0);
        retryJob(options.db, job.id, message, new Date(now().getTime() + delay), now());
        if (kind === 'auth') log.error('credentials refused; the job waits for the fix', { attempt, retryInMs: delay, error: message });
        else log.warn('job failed, will retry', { attempt, retryInMs: delay, error: message });
        options.onAttempt?.(job.kind, 'retry', code);
        return;
      }
      const reason = kind === 'transient' ? `gave up after ${attempt} attempts: ${message}` : message;
      failJob(options.db, job.id, reason, now());
      log.error('job failed for good', { attempt, kind, error: message });
      options.onAttempt?.(job.kind, 'failed', code);
      try {
        handler.onGiveUp?.(job, reason);
      } catch (giveUpErr) {
        log.error('recording the failure failed', { error: describeError(giveUpErr) });
      }
    }
  };

  const pass = async (): Promise<void> => {
    do {
      again = false;
      for (const job of dueJobs(options.db, now())) {
        if (stopped) return;
        await runOne(job);
      }
    } while (again && !stopped);
  };

  function poke(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .then(() => schedule(), (err: unknown) => {
        // The table itself failed (database error): look again after a pause, not at once.
        options.logger.error('job runner pass failed', { error: describeError(err) });
        clearTimeout(timer);
        timer = setTimeout(poke, FAILED_PASS_PAUSE_MS);
      })
      .finally(() => {
        running = undefined;
      });
  }

  queueMicrotask(poke);
  return {
    poke,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      idleWaiters.forEach((w) => w());
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        poke();
      });
    },
  };
}
