// Runs the durable jobs of the `jobs` table: picks due rows, calls the handler for their
// kind, and records the result. What a failure leads to is job-failure-policy.ts: transient
// failures are retried with backoff; credentials or settings an operator must fix, and our
// own infrastructure being down (SMTP server, data dir), make the job wait without using up
// attempts; permanent and input failures, and running out of attempts, fail the job and
// tell the handler's `onGiveUp` so the request becomes `failed` — visible and retryable.
// A job that succeeded but could not be recorded (database busy or full) is remembered and
// recorded first thing, so its effect is not repeated while this process lives.
//
// Up to `concurrency` jobs run at once, never two of one request: a request's effects
// happen in the order its jobs were queued, exactly as when they ran one by one. When the
// provider answers 429 (rate limited), no provider job starts before its Retry-After.
import { describeError, isProviderRateLimited, isSignrelayError, SignrelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { DaemonEventSink, JobAttempt } from '../store/daemon-events.ts';
import type { Db } from '../store/open-database.ts';
import { dueJobs, failJob, finishJob, nextJobTime, rescheduleAfterClockStepBack, releaseOperatorWaits, retryJob, startJobRun, waitJob, type JobKind, type JobRow } from '../store/jobs.ts';
import { storageContextOf, storageFailure } from '../store/storage-failure.ts';
import { decideJobFailure } from './job-failure-policy.ts';
import { JOB_MAX_ATTEMPTS } from './retry-delay.ts';
import { boundedRetryAfter, MAX_RETRY_AFTER_SECONDS } from '../time.ts';

export interface JobHandler {
  run(job: JobRow): Promise<void>;
  /** Called once when the job is given up; records the failure on the request. `code`: the last failure's (`unexpected` for a bare error). */
  onGiveUp?(job: JobRow, reason: string, code?: string): void;
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
  /** Shortest wait after a failure an operator must fix: credentials, settings (default 5 minutes). */
  authRetryMs?: number;
  /** Told the outcome of every attempt, once it is recorded (`job`; the metrics count them). */
  events?: DaemonEventSink;
  /** Jobs at once (default 1); two jobs of one request never run together. */
  concurrency?: number;
  /** A job began to wait for an operator's fix (it did not wait for one before): the daemon alerts. */
  onOperatorWait?: (job: JobRow, error: string) => void;
  /**
   * Asked before each round of jobs is started: false, and no job starts again in this runner
   * (the daemon's database went back under it — a backup restored into the file — and the
   * daemon stops; its next start holds what would be done twice).
   */
  mayStart?: () => boolean;
}

/** The kinds of job that call the signing provider: a 429 from it holds them all back. */
const PROVIDER_JOBS: ReadonlySet<JobKind> = new Set(['submit', 'complete', 'cancel', 'withdraw', 'command']);
/** A 429 without a Retry-After holds provider jobs back this long. */
const RATE_LIMIT_PAUSE_MS = 5_000;
/** How far back the clock may seem to go between two looks before it counts as stepped back. */
const CLOCK_STEP_SLACK_MS = 1_000;
/** Due jobs looked at per round: enough that jobs of busy requests do not hide startable ones. */
const DUE_WINDOW = 200;

export const AUTH_RETRY_MS = 5 * 60_000;
/**
 * Runs of one job the process may stop under, one after another, before the job is given up.
 * A job whose run takes the process down (a bug, memory) was run again at every restart for
 * ever; a restart or a kill that merely lands during a run (a deploy, the OOM killer beside
 * it, a chaos run) counts too, so the limit is well above what those make.
 */
export const MAX_INTERRUPTED_RUNS = 10;
/** After a pass failed (the database itself), the pause before the next doubles up to the max. */
const FAILED_PASS_PAUSE_MS = 5_000;
const FAILED_PASS_MAX_PAUSE_MS = 5 * 60_000;

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
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let stopped = false;
  /** mayStart said no: no job starts again (the jobs in hand finish). */
  let halted = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  /** Wakes a pass that waits on its jobs: something was enqueued. */
  let wake: (() => void) | undefined;
  /** No provider job starts before this (a 429's Retry-After). */
  let providerPausedUntil = 0;
  let idleWaiters: Array<() => void> = [];
  let failedPasses = 0;
  /** A poke came while a pass ran: its next look at the table, or — when it was ending — a pass after it, sees the new work. */
  let pokedDuringPass = false;
  // Jobs whose handler succeeded but whose `done` could not be written yet.
  const unrecorded = new Set<number>();
  const storage = storageContextOf(options.db);

  /** The clock at the runner's last look: one earlier now means the wall clock was stepped back. */
  let lastLook = Number.NEGATIVE_INFINITY;
  /**
   * The wall clock stepped back since a delay was set (an NTP step): each waiting job keeps
   * its delay, counted from now, and a provider pause longer than a Retry-After can ask ends —
   * as the scheduler runs a task whose last run lies in the future. The table is looked at
   * once at start (a step while the daemon was down) and when the clock went back since the
   * last look, not on every pass.
   */
  const undoClockStepBack = (): void => {
    const at = now();
    const steppedBack = at.getTime() < lastLook - CLOCK_STEP_SLACK_MS || lastLook === Number.NEGATIVE_INFINITY;
    lastLook = at.getTime();
    if (!steppedBack) return;
    if (providerPausedUntil > at.getTime() + MAX_RETRY_AFTER_SECONDS * 1000) providerPausedUntil = 0;
    const moved = rescheduleAfterClockStepBack(options.db, at);
    if (moved > 0) options.logger.warn('the clock was stepped back since these jobs were scheduled: each keeps its delay, counted from now', { jobs: moved });
  };

  const schedule = (): void => {
    if (stopped) return;
    if (halted) {
      // Nothing will run: whoever waits for the queue to be idle is told now.
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((w) => w());
      return;
    }
    clearTimeout(timer);
    undoClockStepBack();
    const next = nextJobTime(options.db);
    const nextAt = next ? Math.max(next.getTime(), providerPausedUntil) : undefined;
    const wait = nextAt ? Math.max(0, Math.min(idleCheckMs, nextAt - now().getTime())) : idleCheckMs;
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
    let failure: unknown;
    if (job.interrupted >= MAX_INTERRUPTED_RUNS) {
      failure = new SignrelayError('permanent', 'job_interrupted',
        `the process stopped ${job.interrupted} times in a row while this job ran; it is not run again (see the log before each stop)`);
    } else {
      try {
        startJobRun(options.db, job.id, now());
      } catch (err) {
        throw storageFailure(err, storage) ?? err;
      }
      try {
        await handler.run(job);
      } catch (err) {
        failure = storageFailure(err, storage) ?? err;
      }
    }
    const told = (outcome: JobAttempt['outcome'], code?: string) => options.events?.emit('job', {
      jobId: job.id, kind: job.kind, requestId: job.requestId, attempt: job.attempts + 1, outcome, ...(code !== undefined ? { code } : {}),
    });
    if (failure === undefined) {
      recordDone(job);
      log.info('job done', { attempt: job.attempts + 1 });
      // It had waited for an operator's fix: the fix works, the others of its kind need not wait.
      if (job.waitingFor === 'operator') {
        const released = releaseOperatorWaits(options.db, job.kind, now());
        if (released > 0) log.info('the fix works: the jobs that waited for it are tried now', { jobs: released });
      }
      told('done');
      return;
    }
    const message = describeError(failure);
    const code = isSignrelayError(failure) ? failure.code : 'unexpected';
    if (isProviderRateLimited(failure)) {
      const pauseMs = failure.retryAfterSeconds !== undefined ? boundedRetryAfter(failure.retryAfterSeconds) * 1000 : RATE_LIMIT_PAUSE_MS;
      providerPausedUntil = Math.max(providerPausedUntil, now().getTime() + pauseMs);
    }
    const verdict = decideJobFailure({
      error: failure, attempts: job.attempts, ageMs: Math.max(0, now().getTime() - Date.parse(job.createdAt)) || 0, maxAttempts,
      retryBaseMs: options.retryBaseMs, operatorRetryMs: authRetryMs,
    });
    const runAt = (delayMs: number) => new Date(now().getTime() + delayMs);
    if (verdict.action === 'wait') {
      const at = runAt(verdict.delayMs);
      waitJob(options.db, job.id, message, at, now(), verdict.for);
      const fields = { code, retryInMs: verdict.delayMs, retryAt: at.toISOString(), error: message };
      if (verdict.for === 'operator') {
        log.error('the job waits for an operator to fix this', fields);
        if (job.waitingFor !== 'operator') options.onOperatorWait?.(job, message);
      }
      else if (verdict.for === 'scheduled') log.info('the job waits, as it asked to', fields);
      else log.warn('the job waits for a service it needs', fields);
      told('retry', code);
      return;
    }
    if (verdict.action === 'retry') {
      const at = runAt(verdict.delayMs);
      retryJob(options.db, job.id, message, at, now());
      log.warn('job failed, will retry', { attempt: job.attempts + 1, retryInMs: verdict.delayMs, retryAt: at.toISOString(), error: message });
      told('retry', code);
      return;
    }
    // The job's failure and what giving up means for its request (a failed request, an alert)
    // are committed together. Apart, a stop or a database error between them left a failed job
    // beside a request in mid-flight that no job would move again, and nobody told. When the
    // database fails the commit, the job stays due and gives up again on its next run; when
    // giving up itself fails (a bug, a request in a state it cannot leave), the job is failed
    // on its own, as before — never run again and again, holding the jobs behind it.
    try {
      options.db.transaction(() => {
        failJob(options.db, job.id, verdict.reason, now());
        handler.onGiveUp?.(job, verdict.reason, code);
      })();
    } catch (err) {
      const storageError = storageFailure(err, storage);
      if (storageError) {
        log.error('recording the failure failed; the job runs again', { error: describeError(err) });
        throw storageError;
      }
      log.error('recording what giving up means for the request failed', { error: describeError(err) });
      failJob(options.db, job.id, verdict.reason, now());
    }
    log.error('job failed for good', { attempt: job.attempts + 1, kind: isSignrelayError(failure) ? failure.kind : 'transient', error: message });
    told('failed', code);
  };

  /** The effect happened: record it, or remember it until the database takes it. */
  const recordDone = (job: JobRow): void => {
    try {
      finishJob(options.db, job.id, now());
    } catch (err) {
      unrecorded.add(job.id);
      throw storageFailure(err, storage) ?? err;
    }
  };

  /** Runs due jobs, up to `concurrency` at once and one per request, until none can start and none runs. */
  const pass = async (): Promise<void> => {
    for (const id of unrecorded) {
      finishJob(options.db, id, now());
      unrecorded.delete(id);
    }
    const active = new Map<number, { requestId: string | null; done: Promise<void> }>();
    // A job whose `done` could not be written fails the pass, even when a wake settled the race first.
    let tableFailure: { error: unknown } | undefined;
    try {
      while (!stopped) {
        if (tableFailure) throw tableFailure.error;
        pokedDuringPass = false;
        if (!halted && options.mayStart && !options.mayStart()) halted = true;
        if (halted) break;
        const busy = new Set([...active.values()].map((a) => a.requestId).filter((id) => id !== null));
        const providerPaused = providerPausedUntil > now().getTime();
        for (const job of active.size < concurrency ? dueJobs(options.db, now(), DUE_WINDOW) : []) {
          if (active.size >= concurrency) break;
          if (active.has(job.id) || unrecorded.has(job.id) || (job.requestId !== null && busy.has(job.requestId))) continue;
          if (providerPaused && PROVIDER_JOBS.has(job.kind)) continue;
          if (job.requestId !== null) busy.add(job.requestId);
          const done = runOne(job)
            .catch((error: unknown) => { tableFailure ??= { error }; })
            .finally(() => active.delete(job.id));
          active.set(job.id, { requestId: job.requestId, done });
        }
        if (active.size === 0) return;
        const woken = new Promise<void>((resolve) => (wake = resolve));
        await Promise.race([...[...active.values()].map((a) => a.done), woken]);
        wake = undefined;
      }
    } finally {
      // Stopping, or the table failed: the jobs in hand finish (and are recorded) first.
      await Promise.allSettled([...active.values()].map((a) => a.done));
    }
    if (tableFailure) throw tableFailure.error;
  };

  function poke(): void {
    if (stopped || halted) return;
    if (running) {
      pokedDuringPass = true;
      wake?.();
      return;
    }
    let failed = false;
    // The pass starts a microtask later, once `running` is set: a handler that queues work
    // pokes before its first await, and must find the pass that runs it — it started a second
    // pass beside the first, which ran the same due jobs again (an answer mailed twice).
    running = Promise.resolve().then(pass)
      .then(() => {
        failedPasses = 0;
        schedule();
      }, (err: unknown) => {
        failed = true;
        // The table itself failed (database busy, disk full): look again after a growing pause.
        const pauseMs = Math.min(FAILED_PASS_MAX_PAUSE_MS, FAILED_PASS_PAUSE_MS * 2 ** failedPasses++);
        options.logger.error('job runner pass failed', { error: describeError(storageFailure(err, storage) ?? err), retryInMs: pauseMs, unrecordedDone: unrecorded.size || undefined });
        clearTimeout(timer);
        if (!stopped) timer = setTimeout(poke, pauseMs);
      })
      .finally(() => {
        running = undefined;
        // Poked after the pass's last look at the table: look again now, not at the next timer
        // (which was set before that work was queued: up to idleCheckMs later).
        const again = pokedDuringPass && !failed;
        pokedDuringPass = false;
        if (again) poke();
      });
  }

  queueMicrotask(poke);
  return {
    poke,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      for (const id of unrecorded) {
        try {
          finishJob(options.db, id, now());
        } catch (err) {
          options.logger.error('a job that was done could not be recorded; it runs again after the restart', { jobId: id, error: describeError(storageFailure(err, storage) ?? err) });
        }
      }
      idleWaiters.forEach((w) => w());
    },
    idle() {
      return new Promise((resolve) => {
        // Halted: nothing will run again, so the queue is as idle as it gets.
        if (halted) return resolve();
        idleWaiters.push(resolve);
        poke();
      });
    },
  };
}
