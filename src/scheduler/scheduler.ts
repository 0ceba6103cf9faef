// Runs the periodic tasks (reconcile, reminders, retention, credentials, held alerts). A minute
// heartbeat (minuteHeartbeat) asks "what is due?", and the answer comes from each task's
// last run in SQLite (due-tasks.ts) — so a run missed while the daemon was down is
// noticed at start, and intervals need not divide an hour. A task still running when the
// next tick comes is skipped, never stacked. A failing task is logged and recorded in
// `schedule_runs`; it never takes the daemon down.
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createTypedEvents, type TypedEvents } from '../typed-events.ts';
import type { Db } from '../store/open-database.ts';
import { listScheduleRuns, markInterruptedRuns, recordRunEnd, recordRunStart, type RunOutcome } from '../store/schedule-runs.ts';
import { dueVerdict, type DueReason } from './due-tasks.ts';

export type TaskName = 'reconcile' | 'reminders' | 'retention' | 'credentials' | 'alerts';

export interface TaskContext {
  now: () => Date;
  /** Aborted when the daemon stops: a task checks it between items and returns early. */
  signal: AbortSignal;
}

/** What a run did: counts for the log, and per-item problems (any → the run is `failed`). */
export interface TaskReport {
  counts: Record<string, number>;
  problems: string[];
}

export interface PeriodicTask {
  name: TaskName;
  intervalMs: number;
  run(context: TaskContext): Promise<TaskReport>;
}

/** Calls `tick` on a schedule until stopped. The default is minuteHeartbeat. */
export type Heartbeat = (tick: () => void) => { stop(): void };

export interface SchedulerEvents {
  'run:start': [task: TaskName, reason: DueReason];
  'run:end': [task: TaskName, outcome: Exclude<RunOutcome, 'running'>, error: string | null];
  'run:skipped': [task: TaskName];
}

export interface SchedulerOptions {
  db: Db;
  tasks: PeriodicTask[];
  logger: Logger;
  now?: () => Date;
  heartbeat?: Heartbeat;
}

export interface Scheduler {
  events: TypedEvents<SchedulerEvents>;
  /** Starts every due task that is not running; resolves when the runs it started end. */
  tick(): Promise<void>;
  /** Resolves when no run is in progress. */
  idle(): Promise<void>;
  /** Stops the heartbeat, asks running tasks to stop, and waits for them. */
  stop(): Promise<void>;
}

const MAX_PROBLEMS_RECORDED = 5;

export function startScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? (() => new Date());
  const { db, logger } = options;
  const events = createTypedEvents<SchedulerEvents>((event, err) => logger.error('scheduler listener failed', { event, error: describeError(err) }));
  const running = new Map<TaskName, Promise<void>>();
  const abort = new AbortController();
  let stopped = false;

  for (const task of markInterruptedRuns(db, now())) logger.warn('scheduled run was interrupted; it runs again now', { task });

  async function runTask(task: PeriodicTask, reason: DueReason): Promise<void> {
    const log = logger.child({ task: task.name });
    const started = now();
    recordRunStart(db, task.name, started);
    log.info('scheduled run started', { reason });
    events.emit('run:start', task.name, reason);
    let outcome: Exclude<RunOutcome, 'running'>;
    let error: string | null = null;
    let counts: Record<string, number> = {};
    try {
      const report = await task.run({ now, signal: abort.signal });
      counts = report.counts;
      if (report.problems.length > 0) {
        outcome = 'failed';
        error = `${report.problems.length} problem(s): ${report.problems.slice(0, MAX_PROBLEMS_RECORDED).join('; ')}`;
      } else {
        outcome = abort.signal.aborted ? 'interrupted' : 'ok';
      }
    } catch (err) {
      outcome = abort.signal.aborted ? 'interrupted' : 'failed';
      error = describeError(err);
    }
    try {
      recordRunEnd(db, task.name, outcome, error, now());
    } catch (err) {
      log.error('could not record the end of a scheduled run', { error: describeError(err) });
    }
    const fields = { outcome, ms: now().getTime() - started.getTime(), ...counts };
    if (outcome === 'failed') log.error('scheduled run failed', { ...fields, error });
    else log.info('scheduled run finished', fields);
    events.emit('run:end', task.name, outcome, error);
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    let lastRuns;
    try {
      lastRuns = new Map(listScheduleRuns(db).map((r) => [r.task, { startedAt: new Date(r.startedAt), outcome: r.outcome }]));
    } catch (err) {
      logger.error('scheduler could not read its last runs', { error: describeError(err) });
      return Promise.resolve();
    }
    const started: Array<Promise<void>> = [];
    for (const task of options.tasks) {
      const verdict = dueVerdict(task.intervalMs, lastRuns.get(task.name), running.has(task.name), now());
      if (verdict.reason === 'running') {
        logger.warn('scheduled run skipped: the previous run is still going', { task: task.name });
        events.emit('run:skipped', task.name);
      }
      if (!verdict.due) continue;
      const run = runTask(task, verdict.reason)
        .catch((err: unknown) => {
          // Only the recording of the start can throw here (the database): nothing ran.
          logger.error('scheduled run could not start', { task: task.name, error: describeError(err) });
        })
        .finally(() => running.delete(task.name));
      running.set(task.name, run);
      started.push(run);
    }
    return Promise.all(started).then(() => undefined);
  }

  const heartbeat = (options.heartbeat ?? minuteHeartbeat())(() => void tick());
  // The catch-up: whatever is due (never ran, missed while down, interrupted) runs now.
  void tick();

  return {
    events,
    tick,
    async idle() {
      while (running.size > 0) await Promise.all(running.values());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      heartbeat.stop();
      abort.abort();
      await Promise.all(running.values());
    },
  };
}

/**
 * Once a minute, at the top of each minute of the epoch's own count (no calendar, no time
 * zone). Timers run on the monotonic clock, so a wall clock stepped back or forward, or a
 * daylight-saving change, delays a tick by a minute at most. (node-cron, which this replaced,
 * rounded "now" in local time: in the hour repeated when clocks go back it found no minute
 * due — the scheduler paused for that hour while its timer spun — and after the clock was
 * stepped back it stayed silent for as long as the step.)
 */
export function minuteHeartbeat(): Heartbeat {
  return (tick) => {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const arm = () => {
      timer = setTimeout(() => {
        if (stopped) return;
        arm();
        tick();
      }, MINUTE_MS - (Date.now() % MINUTE_MS));
    };
    arm();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  };
}

const MINUTE_MS = 60_000;
